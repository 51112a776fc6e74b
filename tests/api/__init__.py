"""Tests of the client library (custom_components/sms_bridge/api), without Home Assistant."""
