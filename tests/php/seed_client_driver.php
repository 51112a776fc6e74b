<?php
// Calls every function of the vendor's PHP client against a running simulator.
// SIM_URL, SIM_API_KEY and SEED_CLIENT (the path of the client, taken from the vendor's page at
// run time) come from the environment; exits 1 if any call throws or looks wrong.

define("SERVER", getenv("SIM_URL"));
define("API_KEY", getenv("SIM_API_KEY"));
require getenv("SEED_CLIENT");

$failed = 0;
$passed = 0;

function check(bool $condition, string $what): void
{
    if (!$condition) {
        throw new Exception("unexpected result: {$what}");
    }
}

function call(string $name, callable $function)
{
    global $failed, $passed;
    try {
        $result = $function();
        $passed++;
        echo "ok    {$name}\n";
        return $result;
    } catch (Throwable $t) {
        $failed++;
        echo "FAIL  {$name}: {$t->getMessage()}\n";
        return null;
    }
}

$number = "+11234567890";
$bulk = [
    ["number" => "+11234567891", "message" => "bulk one"],
    ["number" => "+11234567892", "message" => "bulk two"],
    ["number" => "+11234567893", "message" => "bulk three"],
];

call("getBalance", function () {
    $credits = getBalance();
    check($credits === 100, "100 credits at start");
    return $credits;
});
call("getDevices", function () {
    $devices = getDevices();
    check(count($devices) === 2 && $devices[0]["sims"][1] === "SIM #2 [+33600000002]", "two phones");
    return $devices;
});
$single = call("sendSingleMessage primary", function () use ($number) {
    $message = sendSingleMessage($number, "Seed single");
    check($message["deviceID"] === 1 && $message["status"] === "Pending", "pending on phone 1");
    return $message;
});
call("sendSingleMessage device 2", function () use ($number) {
    $message = sendSingleMessage($number, "Seed on phone 2", 2);
    check($message["deviceID"] === 2 && $message["simSlot"] === null, "phone 2, default SIM");
    return $message;
});
call("sendSingleMessage 1|0", function () use ($number) {
    $message = sendSingleMessage($number, "Seed on SIM 1", "1|0");
    check($message["simSlot"] === 0, "SIM slot 0");
    return $message;
});
call("sendSingleMessage prioritized", function () use ($number) {
    $message = sendSingleMessage($number, "Seed OTP 1234", 1, null, false, null, true);
    check($message["prioritize"] === true, "prioritized");
    return $message;
});
call("sendSingleMessage MMS", function () use ($number) {
    $attachments = "https://example.com/images/a.png,https://example.com/images/b.png";
    $message = sendSingleMessage($number, "Seed MMS", 1, null, true, $attachments);
    check($message["type"] === "mms" && $message["attachments"] === $attachments, "an MMS");
    return $message;
});
call("sendSingleMessage scheduled", function () use ($number) {
    $message = sendSingleMessage($number, "Seed later", 1, time() + 3600);
    check($message["status"] === "Scheduled", "scheduled");
    return $message;
});
$specified = call("sendMessages USE_SPECIFIED", function () use ($bulk) {
    $messages = sendMessages($bulk, USE_SPECIFIED, ["1|0", "1|1"]);
    check(array_column($messages, "simSlot") === [0, 0, 1], "split over both SIMs");
    return $messages;
});
call("sendMessages USE_ALL_DEVICES", function () use ($bulk) {
    $messages = sendMessages($bulk, USE_ALL_DEVICES);
    check(array_column($messages, "deviceID") === [1, 1, 2], "split over both phones");
    return $messages;
});
call("sendMessages USE_ALL_SIMS", function () use ($bulk) {
    $messages = sendMessages($bulk, USE_ALL_SIMS);
    check(count(array_unique(array_column($messages, "groupID"))) === 2, "one group per phone");
    return $messages;
});
call("sendMessages useRandomDevice", function () use ($bulk) {
    $messages = sendMessages($bulk, USE_SPECIFIED, [1, 2], null, true);
    check(count(array_unique(array_column($messages, "deviceID"))) === 1, "a single phone");
    return $messages;
});
call("sendMessageToContactsList", function () {
    $messages = sendMessageToContactsList(1, "Hello %name%");
    check(array_column($messages, "message") === ["Hello Alice", "Hello Bob"], "personalised");
    return $messages;
});
call("getMessageByID", function () use ($single) {
    $message = getMessageByID($single["ID"]);
    check($message["message"] === "Seed single" && $message["prioritize"] === 0, "read back");
    return $message;
});
call("getMessagesByGroupID", function () use ($specified) {
    $messages = getMessagesByGroupID($specified[0]["groupID"]);
    check(count($messages) === 3, "the bulk group");
    return $messages;
});
call("getMessagesByStatus", function () {
    $messages = getMessagesByStatus("Pending", 1, 1, time() - 3600, time() + 3600);
    check(count($messages) >= 1 && $messages[0]["simSlot"] === 1, "pending on SIM 2");
    return $messages;
});
call("resendMessageByID", function () use ($single) {
    $message = resendMessageByID($single["ID"]);
    check($message["retries"] === 1 && $message["groupID"] !== $single["groupID"], "resent");
    return $message;
});
call("resendMessagesByGroupID", function () use ($specified) {
    $messages = resendMessagesByGroupID($specified[0]["groupID"], "Pending");
    check(count($messages) === 3, "the bulk group resent");
    return $messages;
});
call("resendMessagesByStatus", function () {
    return resendMessagesByStatus("Pending", 2, null, time() - 3600);
});
call("addContact", function () {
    $contact = addContact(1, "+33600000199", "Seed contact");
    check($contact["subscribed"] === true && $contact["contactsList"]["ID"] === null, "new contact");
    return $contact;
});
call("addContact resubscribe", function () {
    return addContact(1, "+33600000199", "Seed contact 2", true);
});
call("unsubscribeContact", function () {
    $contact = unsubscribeContact(1, "+33600000199");
    check($contact["subscribed"] === false, "unsubscribed");
    return $contact;
});
$ussd = call("sendUssdRequest", function () {
    $request = sendUssdRequest("*150#", 1, 1);
    check($request["simSlot"] === 1 && $request["response"] === null, "queued on SIM 2");
    return $request;
});
call("sendUssdRequest default SIM", function () {
    return sendUssdRequest("*100#", 1);
});
call("getUssdRequestByID", function () use ($ussd) {
    return getUssdRequestByID($ussd["ID"]);
});
call("getUssdRequests", function () {
    $requests = getUssdRequests("*150#", 1, 1);
    check(count($requests) === 1, "one *150# request");
    return $requests;
});
call("getBalance after", function () {
    $credits = getBalance();
    // 6 single sends, 4 bulk sends of 3, 2 list messages, 2 USSD requests; resends are free.
    check($credits === 100 - 6 - 12 - 2 - 2, "credits spent");
    return $credits;
});

echo "php seed client: {$passed} passed, {$failed} failed\n";
exit($failed === 0 ? 0 : 1);
