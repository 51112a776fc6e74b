var B=globalThis,L=B.ShadowRoot&&(B.ShadyCSS===void 0||B.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,G=Symbol(),re=new WeakMap,M=class{constructor(t,e,s){if(this._$cssResult$=!0,s!==G)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=t,this.t=e}get styleSheet(){let t=this.o,e=this.t;if(L&&t===void 0){let s=e!==void 0&&e.length===1;s&&(t=re.get(e)),t===void 0&&((this.o=t=new CSSStyleSheet).replaceSync(this.cssText),s&&re.set(e,t))}return t}toString(){return this.cssText}},ie=n=>new M(typeof n=="string"?n:n+"",void 0,G),q=(n,...t)=>{let e=n.length===1?n[0]:t.reduce((s,r,i)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+n[i+1],n[0]);return new M(e,n,G)},ne=(n,t)=>{if(L)n.adoptedStyleSheets=t.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of t){let s=document.createElement("style"),r=B.litNonce;r!==void 0&&s.setAttribute("nonce",r),s.textContent=e.cssText,n.appendChild(s)}},K=L?n=>n:n=>n instanceof CSSStyleSheet?(t=>{let e="";for(let s of t.cssRules)e+=s.cssText;return ie(e)})(n):n;var{is:Ue,defineProperty:Ie,getOwnPropertyDescriptor:He,getOwnPropertyNames:Be,getOwnPropertySymbols:Le,getPrototypeOf:ze}=Object,z=globalThis,oe=z.trustedTypes,Oe=oe?oe.emptyScript:"",De=z.reactiveElementPolyfillSupport,C=(n,t)=>n,W={toAttribute(n,t){switch(t){case Boolean:n=n?Oe:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,t){let e=n;switch(t){case Boolean:e=n!==null;break;case Number:e=n===null?null:Number(n);break;case Object:case Array:try{e=JSON.parse(n)}catch{e=null}}return e}},de=(n,t)=>!Ue(n,t),ae={attribute:!0,type:String,converter:W,reflect:!1,useDefault:!1,hasChanged:de};Symbol.metadata??=Symbol("metadata"),z.litPropertyMetadata??=new WeakMap;var g=class extends HTMLElement{static addInitializer(t){this._$Ei(),(this.l??=[]).push(t)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(t,e=ae){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(t)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(t,e),!e.noAccessor){let s=Symbol(),r=this.getPropertyDescriptor(t,s,e);r!==void 0&&Ie(this.prototype,t,r)}}static getPropertyDescriptor(t,e,s){let{get:r,set:i}=He(this.prototype,t)??{get(){return this[e]},set(o){this[e]=o}};return{get:r,set(o){let c=r?.call(this);i?.call(this,o),this.requestUpdate(t,c,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(t){return this.elementProperties.get(t)??ae}static _$Ei(){if(this.hasOwnProperty(C("elementProperties")))return;let t=ze(this);t.finalize(),t.l!==void 0&&(this.l=[...t.l]),this.elementProperties=new Map(t.elementProperties)}static finalize(){if(this.hasOwnProperty(C("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(C("properties"))){let e=this.properties,s=[...Be(e),...Le(e)];for(let r of s)this.createProperty(r,e[r])}let t=this[Symbol.metadata];if(t!==null){let e=litPropertyMetadata.get(t);if(e!==void 0)for(let[s,r]of e)this.elementProperties.set(s,r)}this._$Eh=new Map;for(let[e,s]of this.elementProperties){let r=this._$Eu(e,s);r!==void 0&&this._$Eh.set(r,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(t){let e=[];if(Array.isArray(t)){let s=new Set(t.flat(1/0).reverse());for(let r of s)e.unshift(K(r))}else t!==void 0&&e.push(K(t));return e}static _$Eu(t,e){let s=e.attribute;return s===!1?void 0:typeof s=="string"?s:typeof t=="string"?t.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(t=>this.enableUpdating=t),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(t=>t(this))}addController(t){(this._$EO??=new Set).add(t),this.renderRoot!==void 0&&this.isConnected&&t.hostConnected?.()}removeController(t){this._$EO?.delete(t)}_$E_(){let t=new Map,e=this.constructor.elementProperties;for(let s of e.keys())this.hasOwnProperty(s)&&(t.set(s,this[s]),delete this[s]);t.size>0&&(this._$Ep=t)}createRenderRoot(){let t=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ne(t,this.constructor.elementStyles),t}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(t=>t.hostConnected?.())}enableUpdating(t){}disconnectedCallback(){this._$EO?.forEach(t=>t.hostDisconnected?.())}attributeChangedCallback(t,e,s){this._$AK(t,s)}_$ET(t,e){let s=this.constructor.elementProperties.get(t),r=this.constructor._$Eu(t,s);if(r!==void 0&&s.reflect===!0){let i=(s.converter?.toAttribute!==void 0?s.converter:W).toAttribute(e,s.type);this._$Em=t,i==null?this.removeAttribute(r):this.setAttribute(r,i),this._$Em=null}}_$AK(t,e){let s=this.constructor,r=s._$Eh.get(t);if(r!==void 0&&this._$Em!==r){let i=s.getPropertyOptions(r),o=typeof i.converter=="function"?{fromAttribute:i.converter}:i.converter?.fromAttribute!==void 0?i.converter:W;this._$Em=r;let c=o.fromAttribute(e,i.type);this[r]=c??this._$Ej?.get(r)??c,this._$Em=null}}requestUpdate(t,e,s,r=!1,i){if(t!==void 0){let o=this.constructor;if(r===!1&&(i=this[t]),s??=o.getPropertyOptions(t),!((s.hasChanged??de)(i,e)||s.useDefault&&s.reflect&&i===this._$Ej?.get(t)&&!this.hasAttribute(o._$Eu(t,s))))return;this.C(t,e,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(t,e,{useDefault:s,reflect:r,wrapped:i},o){s&&!(this._$Ej??=new Map).has(t)&&(this._$Ej.set(t,o??e??this[t]),i!==!0||o!==void 0)||(this._$AL.has(t)||(this.hasUpdated||s||(e=void 0),this._$AL.set(t,e)),r===!0&&this._$Em!==t&&(this._$Eq??=new Set).add(t))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let t=this.scheduleUpdate();return t!=null&&await t,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,i]of this._$Ep)this[r]=i;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[r,i]of s){let{wrapped:o}=i,c=this[r];o!==!0||this._$AL.has(r)||c===void 0||this.C(r,void 0,i,c)}}let t=!1,e=this._$AL;try{t=this.shouldUpdate(e),t?(this.willUpdate(e),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(e)):this._$EM()}catch(s){throw t=!1,this._$EM(),s}t&&this._$AE(e)}willUpdate(t){}_$AE(t){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(t)),this.updated(t)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(t){return!0}update(t){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(t){}firstUpdated(t){}};g.elementStyles=[],g.shadowRootOptions={mode:"open"},g[C("elementProperties")]=new Map,g[C("finalized")]=new Map,De?.({ReactiveElement:g}),(z.reactiveElementVersions??=[]).push("2.1.2");var Y=globalThis,ce=n=>n,O=Y.trustedTypes,le=O?O.createPolicy("lit-html",{createHTML:n=>n}):void 0,ge="$lit$",y=`lit$${Math.random().toFixed(9).slice(2)}$`,fe="?"+y,je=`<${fe}>`,x=document,k=()=>x.createComment(""),T=n=>n===null||typeof n!="object"&&typeof n!="function",ee=Array.isArray,Ge=n=>ee(n)||typeof n?.[Symbol.iterator]=="function",V=`[ 	
\f\r]`,P=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,he=/-->/g,pe=/>/g,v=RegExp(`>|${V}(?:([^\\s"'>=/]+)(${V}*=${V}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ue=/'/g,_e=/"/g,ye=/^(?:script|style|textarea|title)$/i,te=n=>(t,...e)=>({_$litType$:n,strings:t,values:e}),p=te(1),ht=te(2),pt=te(3),S=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),me=new WeakMap,$=x.createTreeWalker(x,129);function be(n,t){if(!ee(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return le!==void 0?le.createHTML(t):t}var qe=(n,t)=>{let e=n.length-1,s=[],r,i=t===2?"<svg>":t===3?"<math>":"",o=P;for(let c=0;c<e;c++){let a=n[c],h,u,l=-1,m=0;for(;m<a.length&&(o.lastIndex=m,u=o.exec(a),u!==null);)m=o.lastIndex,o===P?u[1]==="!--"?o=he:u[1]!==void 0?o=pe:u[2]!==void 0?(ye.test(u[2])&&(r=RegExp("</"+u[2],"g")),o=v):u[3]!==void 0&&(o=v):o===v?u[0]===">"?(o=r??P,l=-1):u[1]===void 0?l=-2:(l=o.lastIndex-u[2].length,h=u[1],o=u[3]===void 0?v:u[3]==='"'?_e:ue):o===_e||o===ue?o=v:o===he||o===pe?o=P:(o=v,r=void 0);let f=o===v&&n[c+1].startsWith("/>")?" ":"";i+=o===P?a+je:l>=0?(s.push(h),a.slice(0,l)+ge+a.slice(l)+y+f):a+y+(l===-2?c:f)}return[be(n,i+(n[e]||"<?>")+(t===2?"</svg>":t===3?"</math>":"")),s]},N=class n{constructor({strings:t,_$litType$:e},s){let r;this.parts=[];let i=0,o=0,c=t.length-1,a=this.parts,[h,u]=qe(t,e);if(this.el=n.createElement(h,s),$.currentNode=this.el.content,e===2||e===3){let l=this.el.content.firstChild;l.replaceWith(...l.childNodes)}for(;(r=$.nextNode())!==null&&a.length<c;){if(r.nodeType===1){if(r.hasAttributes())for(let l of r.getAttributeNames())if(l.endsWith(ge)){let m=u[o++],f=r.getAttribute(l).split(y),H=/([.?@])?(.*)/.exec(m);a.push({type:1,index:i,name:H[2],strings:f,ctor:H[1]==="."?Z:H[1]==="?"?J:H[1]==="@"?Q:E}),r.removeAttribute(l)}else l.startsWith(y)&&(a.push({type:6,index:i}),r.removeAttribute(l));if(ye.test(r.tagName)){let l=r.textContent.split(y),m=l.length-1;if(m>0){r.textContent=O?O.emptyScript:"";for(let f=0;f<m;f++)r.append(l[f],k()),$.nextNode(),a.push({type:2,index:++i});r.append(l[m],k())}}}else if(r.nodeType===8)if(r.data===fe)a.push({type:2,index:i});else{let l=-1;for(;(l=r.data.indexOf(y,l+1))!==-1;)a.push({type:7,index:i}),l+=y.length-1}i++}}static createElement(t,e){let s=x.createElement("template");return s.innerHTML=t,s}};function A(n,t,e=n,s){if(t===S)return t;let r=s!==void 0?e._$Co?.[s]:e._$Cl,i=T(t)?void 0:t._$litDirective$;return r?.constructor!==i&&(r?._$AO?.(!1),i===void 0?r=void 0:(r=new i(n),r._$AT(n,e,s)),s!==void 0?(e._$Co??=[])[s]=r:e._$Cl=r),r!==void 0&&(t=A(n,r._$AS(n,t.values),r,s)),t}var F=class{constructor(t,e){this._$AV=[],this._$AN=void 0,this._$AD=t,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(t){let{el:{content:e},parts:s}=this._$AD,r=(t?.creationScope??x).importNode(e,!0);$.currentNode=r;let i=$.nextNode(),o=0,c=0,a=s[0];for(;a!==void 0;){if(o===a.index){let h;a.type===2?h=new R(i,i.nextSibling,this,t):a.type===1?h=new a.ctor(i,a.name,a.strings,this,t):a.type===6&&(h=new X(i,this,t)),this._$AV.push(h),a=s[++c]}o!==a?.index&&(i=$.nextNode(),o++)}return $.currentNode=x,r}p(t){let e=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(t,s,e),e+=s.strings.length-2):s._$AI(t[e])),e++}},R=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(t,e,s,r){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=t,this._$AB=e,this._$AM=s,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let t=this._$AA.parentNode,e=this._$AM;return e!==void 0&&t?.nodeType===11&&(t=e.parentNode),t}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(t,e=this){t=A(this,t,e),T(t)?t===d||t==null||t===""?(this._$AH!==d&&this._$AR(),this._$AH=d):t!==this._$AH&&t!==S&&this._(t):t._$litType$!==void 0?this.$(t):t.nodeType!==void 0?this.T(t):Ge(t)?this.k(t):this._(t)}O(t){return this._$AA.parentNode.insertBefore(t,this._$AB)}T(t){this._$AH!==t&&(this._$AR(),this._$AH=this.O(t))}_(t){this._$AH!==d&&T(this._$AH)?this._$AA.nextSibling.data=t:this.T(x.createTextNode(t)),this._$AH=t}$(t){let{values:e,_$litType$:s}=t,r=typeof s=="number"?this._$AC(t):(s.el===void 0&&(s.el=N.createElement(be(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===r)this._$AH.p(e);else{let i=new F(r,this),o=i.u(this.options);i.p(e),this.T(o),this._$AH=i}}_$AC(t){let e=me.get(t.strings);return e===void 0&&me.set(t.strings,e=new N(t)),e}k(t){ee(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,s,r=0;for(let i of t)r===e.length?e.push(s=new n(this.O(k()),this.O(k()),this,this.options)):s=e[r],s._$AI(i),r++;r<e.length&&(this._$AR(s&&s._$AB.nextSibling,r),e.length=r)}_$AR(t=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);t!==this._$AB;){let s=ce(t).nextSibling;ce(t).remove(),t=s}}setConnected(t){this._$AM===void 0&&(this._$Cv=t,this._$AP?.(t))}},E=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(t,e,s,r,i){this.type=1,this._$AH=d,this._$AN=void 0,this.element=t,this.name=e,this._$AM=r,this.options=i,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=d}_$AI(t,e=this,s,r){let i=this.strings,o=!1;if(i===void 0)t=A(this,t,e,0),o=!T(t)||t!==this._$AH&&t!==S,o&&(this._$AH=t);else{let c=t,a,h;for(t=i[0],a=0;a<i.length-1;a++)h=A(this,c[s+a],e,a),h===S&&(h=this._$AH[a]),o||=!T(h)||h!==this._$AH[a],h===d?t=d:t!==d&&(t+=(h??"")+i[a+1]),this._$AH[a]=h}o&&!r&&this.j(t)}j(t){t===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,t??"")}},Z=class extends E{constructor(){super(...arguments),this.type=3}j(t){this.element[this.name]=t===d?void 0:t}},J=class extends E{constructor(){super(...arguments),this.type=4}j(t){this.element.toggleAttribute(this.name,!!t&&t!==d)}},Q=class extends E{constructor(t,e,s,r,i){super(t,e,s,r,i),this.type=5}_$AI(t,e=this){if((t=A(this,t,e,0)??d)===S)return;let s=this._$AH,r=t===d&&s!==d||t.capture!==s.capture||t.once!==s.once||t.passive!==s.passive,i=t!==d&&(s===d||r);r&&this.element.removeEventListener(this.name,this,s),i&&this.element.addEventListener(this.name,this,t),this._$AH=t}handleEvent(t){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,t):this._$AH.handleEvent(t)}},X=class{constructor(t,e,s){this.element=t,this.type=6,this._$AN=void 0,this._$AM=e,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(t){A(this,t)}};var Ke=Y.litHtmlPolyfillSupport;Ke?.(N,R),(Y.litHtmlVersions??=[]).push("3.3.3");var ve=(n,t,e)=>{let s=e?.renderBefore??t,r=s._$litPart$;if(r===void 0){let i=e?.renderBefore??null;s._$litPart$=r=new R(t.insertBefore(k(),i),i,void 0,e??{})}return r._$AI(n),r};var se=globalThis,_=class extends g{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let t=super.createRenderRoot();return this.renderOptions.renderBefore??=t.firstChild,t}update(t){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(t),this._$Do=ve(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return S}};_._$litElement$=!0,_.finalized=!0,se.litElementHydrateSupport?.({LitElement:_});var We=se.litElementPolyfillSupport;We?.({LitElement:_});(se.litElementVersions??=[]).push("4.2.2");var $e={card_name:"SMS-Bridge-Posteingang",card_description:"SMS deiner SMS-Bridge-Gateways lesen und beantworten.",title:"Nachrichten",search:"Suchen",no_threads:"Noch keine Nachrichten",no_match:"Keine Unterhaltung passt",back:"Zurück",load_older:"Ältere Nachrichten",delete_thread:"Unterhaltung löschen",delete_confirm:"Die Unterhaltung mit {name} aus dem Posteingang löschen? Das Gateway behält seine eigene Kopie.",reply:"Nachricht",send:"Senden",counter:"{characters} Zeichen · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"Senden von",gateway_choice:"Wahl des Gateways",refused:"Der Posteingang ist Administratoren vorbehalten. Ein Administrator kann ihn in den SMS-Bridge-Optionen (Posteingang) für alle Benutzer öffnen.",no_entry:"Kein SMS-Bridge-Gateway ist eingerichtet.",error:"Der Posteingang konnte nicht geladen werden: {error}",send_failed:"Nicht gesendet: {error}",status_queued:"In Warteschlange",status_sent:"Gesendet",status_delivered:"Zugestellt",status_failed:"Fehlgeschlagen",via:"über {phone}",sim:"SIM {sim}",unread:"{count} ungelesen",editor_entry:"Gateway",editor_phone:"Senden von Telefon",editor_height:"Höhe"};var D={card_name:"SMS Bridge inbox",card_description:"Read and answer the SMS of your SMS Bridge gateways.",title:"Messages",search:"Search",no_threads:"No messages yet",no_match:"No conversation matches",back:"Back",load_older:"Older messages",delete_thread:"Delete conversation",delete_confirm:"Delete the conversation with {name} from the inbox? The gateway keeps its own copy.",reply:"Message",send:"Send",counter:"{characters} characters · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"Send from",gateway_choice:"The gateway's choice",refused:"The inbox is for administrators. An administrator can open it to every user in the SMS Bridge options (Inbox).",no_entry:"No SMS Bridge gateway is set up.",error:"The inbox could not be loaded: {error}",send_failed:"Not sent: {error}",status_queued:"Queued",status_sent:"Sent",status_delivered:"Delivered",status_failed:"Failed",via:"via {phone}",sim:"SIM {sim}",unread:"{count} unread",editor_entry:"Gateway",editor_phone:"Phone to send from",editor_height:"Height"};var xe={card_name:"Bandeja de entrada de SMS Bridge",card_description:"Lea y responda los SMS de sus pasarelas SMS Bridge.",title:"Mensajes",search:"Buscar",no_threads:"Aún no hay mensajes",no_match:"Ninguna conversación coincide",back:"Atrás",load_older:"Mensajes anteriores",delete_thread:"Eliminar conversación",delete_confirm:"¿Eliminar de la bandeja de entrada la conversación con {name}? La pasarela conserva su propia copia.",reply:"Mensaje",send:"Enviar",counter:"{characters} caracteres · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"Enviar desde",gateway_choice:"Elección de la pasarela",refused:"La bandeja de entrada es para administradores. Un administrador puede abrirla a todos los usuarios en las opciones de SMS Bridge (Bandeja de entrada).",no_entry:"No hay ninguna pasarela SMS Bridge configurada.",error:"No se pudo cargar la bandeja de entrada: {error}",send_failed:"No enviado: {error}",status_queued:"En cola",status_sent:"Enviado",status_delivered:"Entregado",status_failed:"Fallido",via:"por {phone}",sim:"SIM {sim}",unread:"{count} sin leer",editor_entry:"Pasarela",editor_phone:"Teléfono de envío",editor_height:"Altura"};var Se={card_name:"Boîte de réception SMS Bridge",card_description:"Lisez les SMS de vos passerelles SMS Bridge et répondez-y.",title:"Messages",search:"Rechercher",no_threads:"Aucun message pour l'instant",no_match:"Aucune conversation ne correspond",back:"Retour",load_older:"Messages plus anciens",delete_thread:"Supprimer la conversation",delete_confirm:"Supprimer de la boîte de réception la conversation avec {name} ? La passerelle garde sa propre copie.",reply:"Message",send:"Envoyer",counter:"{characters} caractères · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"Envoyer depuis",gateway_choice:"Au choix de la passerelle",refused:"La boîte de réception est réservée aux administrateurs. Un administrateur peut l'ouvrir à tous les utilisateurs dans les options de SMS Bridge (Boîte de réception).",no_entry:"Aucune passerelle SMS Bridge n'est configurée.",error:"La boîte de réception n'a pas pu être chargée : {error}",send_failed:"Non envoyé : {error}",status_queued:"En attente",status_sent:"Envoyé",status_delivered:"Remis",status_failed:"Échec",via:"via {phone}",sim:"SIM {sim}",unread:"{count} non lus",editor_entry:"Passerelle",editor_phone:"Téléphone d'envoi",editor_height:"Hauteur"};var Ae={card_name:"Posta in arrivo di SMS Bridge",card_description:"Leggi e rispondi agli SMS dei tuoi gateway SMS Bridge.",title:"Messaggi",search:"Cerca",no_threads:"Ancora nessun messaggio",no_match:"Nessuna conversazione corrisponde",back:"Indietro",load_older:"Messaggi precedenti",delete_thread:"Elimina conversazione",delete_confirm:"Eliminare dalla posta in arrivo la conversazione con {name}? Il gateway conserva la propria copia.",reply:"Messaggio",send:"Invia",counter:"{characters} caratteri · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"Invia da",gateway_choice:"Scelta del gateway",refused:"La posta in arrivo è riservata agli amministratori. Un amministratore può aprirla a tutti gli utenti nelle opzioni di SMS Bridge (Posta in arrivo).",no_entry:"Nessun gateway SMS Bridge è configurato.",error:"Impossibile caricare la posta in arrivo: {error}",send_failed:"Non inviato: {error}",status_queued:"In coda",status_sent:"Inviato",status_delivered:"Consegnato",status_failed:"Non riuscito",via:"tramite {phone}",sim:"SIM {sim}",unread:"{count} non letti",editor_entry:"Gateway",editor_phone:"Telefono di invio",editor_height:"Altezza"};var Ee={card_name:"Входящие SMS Bridge",card_description:"Читайте SMS ваших шлюзов SMS Bridge и отвечайте на них.",title:"Сообщения",search:"Поиск",no_threads:"Сообщений пока нет",no_match:"Нет подходящих переписок",back:"Назад",load_older:"Более ранние сообщения",delete_thread:"Удалить переписку",delete_confirm:"Удалить переписку с {name} из входящих? Шлюз хранит свою копию.",reply:"Сообщение",send:"Отправить",counter:"{characters} симв. · {parts} SMS · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Юникод",send_from:"Отправить с",gateway_choice:"На выбор шлюза",refused:"Входящие доступны только администраторам. Администратор может открыть их для всех пользователей в параметрах SMS Bridge (Входящие).",no_entry:"Шлюз SMS Bridge не настроен.",error:"Не удалось загрузить входящие: {error}",send_failed:"Не отправлено: {error}",status_queued:"В очереди",status_sent:"Отправлено",status_delivered:"Доставлено",status_failed:"Ошибка",via:"через {phone}",sim:"SIM {sim}",unread:"{count} непрочитанных",editor_entry:"Шлюз",editor_phone:"Телефон для отправки",editor_height:"Высота"};var we={card_name:"SMS Bridge 收件箱",card_description:"阅读并回复 SMS Bridge 网关的短信。",title:"消息",search:"搜索",no_threads:"还没有消息",no_match:"没有匹配的会话",back:"返回",load_older:"更早的消息",delete_thread:"删除会话",delete_confirm:"从收件箱中删除与 {name} 的会话？网关保留自己的副本。",reply:"消息",send:"发送",counter:"{characters} 个字符 · {parts} 条短信 · {encoding}",encoding_gsm7:"GSM-7",encoding_ucs2:"Unicode",send_from:"发送手机",gateway_choice:"由网关选择",refused:"收件箱仅供管理员使用。管理员可以在 SMS Bridge 选项（收件箱）中向所有用户开放。",no_entry:"尚未设置 SMS Bridge 网关。",error:"无法加载收件箱：{error}",send_failed:"未发送：{error}",status_queued:"排队中",status_sent:"已发送",status_delivered:"已送达",status_failed:"失败",via:"通过 {phone}",sim:"SIM {sim}",unread:"{count} 条未读",editor_entry:"网关",editor_phone:"发送手机",editor_height:"高度"};var j={de:$e,en:D,es:xe,fr:Se,it:Ae,ru:Ee,"zh-Hans":we};function et(n){return j[n]?j[n]:n.startsWith("zh")?j["zh-Hans"]:j[n.split("-")[0]]??D}function w(n,t,e={}){let s=n?.locale?.language??n?.language??(document.documentElement.lang||"en");return(et(s)[t]??D[t]).replace(/\{(\w+)\}/g,(i,o)=>o in e?String(e[o]):i)}var tt={entry_id:"editor_entry",phone:"editor_phone",height:"editor_height"},U=class extends _{constructor(){super();this._loading=!1;this._entries=[]}setConfig(e){this._config=e}willUpdate(){this.hass&&!this._loading&&(this._loading=!0,this.hass.connection.sendMessagePromise({type:"sms_bridge/inbox/entries"}).then(e=>this._entries=e).catch(()=>this._entries=[]))}get _schema(){let s=(this._entries.find(r=>r.entry_id===this._config?.entry_id)??this._entries[0])?.phones??[];return[{name:"entry_id",selector:{config_entry:{integration:"sms_bridge"}}},...s.length?[{name:"phone",selector:{select:{mode:"dropdown",options:s.map(r=>({value:r.id,label:r.name}))}}}]:[],{name:"height",selector:{number:{min:240,max:1600,step:10,mode:"box",unit_of_measurement:"px"}}}]}render(){return!this.hass||!this._config?d:p`<ha-form
      .hass=${this.hass}
      .data=${this._config}
      .schema=${this._schema}
      .computeLabel=${e=>w(this.hass,tt[e.name])}
      @value-changed=${this._changed}
    ></ha-form>`}_changed(e){e.stopPropagation();let s={...e.detail.value};for(let r of["entry_id","phone","height"])(s[r]===void 0||s[r]===""||s[r]===null)&&delete s[r];this._config=s,this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:s},bubbles:!0,composed:!0}))}};U.properties={hass:{attribute:!1},_config:{state:!0},_entries:{state:!0}};var st=new Set(`@£$¥èéùìòÇ
Øø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà`),Me=new Set("^{}\\[~]|€\f");function rt(n){for(let t of n)if(!st.has(t)&&!Me.has(t))return!1;return!0}function Ce(n){let t=Array.from(n),e=rt(n),s=t.map(a=>e?Me.has(a)?2:1:(a.codePointAt(0)??0)>65535?2:1),[r,i]=e?[160,153]:[70,67],o=s.reduce((a,h)=>a+h,0),c=1;if(o>r){let a=0;for(let h of s)a+h>i&&(c+=1,a=0),a+=h}return{encoding:e?"gsm7":"ucs2",parts:c,characters:t.length}}var b="sms_bridge",it=520,Pe=50,nt=3e3;function ke(n){switch(n){case"scheduled":case"pending":case"queued":case"unknown":return"queued";case"sent":return"sent";case"delivered":return"delivered";case"failed":case"canceled":return"failed";default:return null}}var Te={queued:"mdi:clock-outline",sent:"mdi:check",delivered:"mdi:check-all",failed:"mdi:alert-circle-outline"},I=class extends _{constructor(){super();this._started=!1;this._threads=[],this._search="",this._draft="",this._phone="",this._sending=!1}static getConfigElement(){return document.createElement("sms-bridge-inbox-card-editor")}static getStubConfig(){return{}}setConfig(e){if(!e)throw new Error("Invalid configuration");let s=this._config&&this._config.entry_id!==e.entry_id;this._config=e,this._phone=e.phone??"",s&&this._started&&this._selectEntry(e.entry_id)}getCardSize(){return Math.ceil(this._height/50)}getGridOptions(){return{columns:12,rows:Math.ceil(this._height/56),min_rows:4}}get _height(){return Number(this._config?.height)||it}connectedCallback(){super.connectedCallback(),this._started&&this.hass&&this._subscribe()}disconnectedCallback(){super.disconnectedCallback(),this._unsubscribeNow(),window.clearTimeout(this._resubscribe)}willUpdate(e){e.has("hass")&&this.hass&&!this._started&&(this._started=!0,this._load())}_t(e,s){return w(this.hass,e,s)}async _load(){try{this._entries=await this.hass.connection.sendMessagePromise({type:`${b}/inbox/entries`})}catch(e){this._fail(e);return}if(!this._entries.length){this._problem={key:"no_entry"};return}await this._selectEntry(this._config?.entry_id)}async _selectEntry(e){let s=this._entries??[],r=s.find(i=>i.entry_id===e)??s[0];r&&(await this._unsubscribeNow(),this._entryId=r.entry_id,this._open=void 0,this._problem=void 0,await this._subscribe())}async _subscribe(){let e=this._entryId;if(!(!e||this._unsubscribe)){this._unsubscribe=this.hass.connection.subscribeMessage(s=>this._changed(s),{type:`${b}/inbox/subscribe`,entry_id:e});try{await this._unsubscribe,this._threads=await this.hass.connection.sendMessagePromise({type:`${b}/inbox/threads`,entry_id:e}),this._open&&await this._openThread(this._open.number)}catch(s){this._unsubscribe=void 0,this._fail(s)}}}async _unsubscribeNow(){let e=this._unsubscribe;if(this._unsubscribe=void 0,!!e)try{await(await e)()}catch{}}_fail(e){let s=e;this._problem=s?.code==="unauthorized"?{key:"refused"}:{key:"error",error:s?.message??String(e)}}_changed(e){switch(e.event){case"message":{let s=e.thread;s&&(this._threads=[s,...this._threads.filter(i=>i.number!==s.number)]);let r=this._open;r&&r.number===e.message.number&&(this._open={...r,messages:[e.message,...r.messages]},e.message.read||this._markRead(r.number));break}case"status":{let s=this._open;s&&s.number===e.message.number&&(this._open={...s,messages:s.messages.map(r=>r.id===e.message.id?e.message:r)}),this._threads=this._threads.map(r=>r.last.id===e.message.id?{...r,last:e.message}:r);break}case"read":this._threads=this._threads.map(s=>e.number===null||s.number===e.number?{...s,unread:0}:s);break;case"deleted":this._threads=this._threads.filter(s=>s.number!==e.number),this._open?.number===e.number&&(this._open=void 0);break;case"closed":this._unsubscribe=void 0,window.clearTimeout(this._resubscribe),this._resubscribe=window.setTimeout(()=>{this._subscribe()},nt);break}}async _openThread(e){try{this._open=await this.hass.connection.sendMessagePromise({type:`${b}/inbox/thread`,entry_id:this._entryId,number:e,limit:Pe})}catch(s){this._fail(s);return}this._sendError=void 0,this._threads.find(s=>s.number===e)?.unread&&await this._markRead(e)}async _older(){let e=this._open;if(!e?.messages.length)return;let s=await this.hass.connection.sendMessagePromise({type:`${b}/inbox/thread`,entry_id:this._entryId,number:e.number,limit:Pe,before:e.messages[e.messages.length-1].id});this._open={...e,messages:[...e.messages,...s.messages],more:s.more}}async _markRead(e){await this.hass.connection.sendMessagePromise({type:`${b}/inbox/mark_read`,entry_id:this._entryId,number:e})}async _delete(){let e=this._open;!e||!confirm(this._t("delete_confirm",{name:e.name??e.number}))||await this.hass.connection.sendMessagePromise({type:`${b}/inbox/delete_thread`,entry_id:this._entryId,number:e.number})}async _send(){let e=this._open,s=this._draft;if(!e||!s.trim()||this._sending)return;let r=this._phone||this._replyPhone(e);this._sending=!0,this._sendError=void 0;try{await this.hass.callService(b,"send_message",{config_entry_id:this._entryId,recipients:[e.number],message:s,...r?{phone:r}:{}}),this._draft=""}catch(i){this._sendError=i?.message??String(i)}finally{this._sending=!1}}_replyPhone(e){return e.messages.find(r=>r.direction==="incoming"&&r.phone_id)?.phone_id??""}get _entry(){return this._entries?.find(e=>e.entry_id===this._entryId)}_phoneName(e){return e?this._entry?.phones.find(s=>s.id===e)?.name??e:null}_time(e,s=!1){let r=new Date(e),i=this.hass?.locale?.language??this.hass?.language??"en",c=new Date().toDateString()===r.toDateString()&&!s?{hour:"2-digit",minute:"2-digit"}:{day:"numeric",month:"short",hour:"2-digit",minute:"2-digit"};return new Intl.DateTimeFormat(i,c).format(r)}render(){return p`
      <ha-card style="height: ${this._height}px">
        ${this._problem?p`<div class="problem" role="alert">
              ${this._t(this._problem.key,{error:this._problem.error??""})}
            </div>`:this._open?this._renderThread(this._open):this._renderList()}
      </ha-card>
    `}_renderEntryChoice(){let e=this._entries??[];return e.length<2||this._config?.entry_id?d:p`<select
      class="entry"
      aria-label=${this._t("editor_entry")}
      @change=${s=>this._selectEntry(s.target.value)}
    >
      ${e.map(s=>p`<option value=${s.entry_id} ?selected=${s.entry_id===this._entryId}>
            ${s.title}
          </option>`)}
    </select>`}_renderList(){let e=this._search.trim().toLowerCase(),s=e?this._threads.filter(i=>[i.name??"",i.number,i.last.text].some(o=>o.toLowerCase().includes(e))):this._threads,r=this._threads.reduce((i,o)=>i+o.unread,0);return p`
      <div class="header">
        <div class="title">
          ${this._t("title")}
          ${r?p`<span class="badge total">${r}</span>`:d}
        </div>
        ${this._renderEntryChoice()}
      </div>
      <div class="search">
        <ha-icon icon="mdi:magnify"></ha-icon>
        <input
          type="search"
          .value=${this._search}
          placeholder=${this._t("search")}
          aria-label=${this._t("search")}
          @input=${i=>this._search=i.target.value}
        />
      </div>
      <div class="threads" role="list">
        ${s.length?s.map(i=>this._renderRow(i)):p`<div class="empty">
              ${this._t(this._threads.length?"no_match":"no_threads")}
            </div>`}
      </div>
    `}_renderRow(e){let s=e.name??e.number,r=e.last,i=r.direction==="outgoing"?ke(r.status):null;return p`
      <button
        class="row ${e.unread?"unread":""}"
        role="listitem"
        data-number=${e.number}
        @click=${()=>this._openThread(e.number)}
      >
        <span class="avatar" aria-hidden="true">${ot(s)}</span>
        <span class="summary">
          <span class="line">
            <span class="name">${s}</span>
            <span class="time">${this._time(r.at)}</span>
          </span>
          <span class="line">
            <span class="preview">
              ${i?p`<ha-icon class="tick ${i}" icon=${Te[i]}></ha-icon>`:d}${r.text}
            </span>
            ${e.unread?p`<span
                  class="badge"
                  data-unread=${e.unread}
                  title=${this._t("unread",{count:e.unread})}
                  >${e.unread}</span
                >`:d}
          </span>
        </span>
      </button>
    `}_renderThread(e){let s=Ce(this._draft),r=this._entry?.phones??[];return p`
      <div class="header">
        <button class="icon" title=${this._t("back")} @click=${()=>this._open=void 0}>
          <ha-icon icon="mdi:arrow-left"></ha-icon>
        </button>
        <div class="title thread-title">
          <span>${e.name??e.number}</span>
          ${e.name?p`<span class="number">${e.number}</span>`:d}
        </div>
        <button class="icon" title=${this._t("delete_thread")} @click=${this._delete}>
          <ha-icon icon="mdi:delete-outline"></ha-icon>
        </button>
      </div>
      <div class="messages">
        ${e.messages.map(i=>this._renderBubble(i))}
        ${e.more?p`<button class="older" @click=${this._older}>${this._t("load_older")}</button>`:d}
      </div>
      <div class="compose">
        ${r.length>1?p`<label class="from">
              ${this._t("send_from")}
              <select
                @change=${i=>this._phone=i.target.value}
              >
                <option value="" ?selected=${!this._phone}>
                  ${this._phoneName(this._replyPhone(e))??this._t("gateway_choice")}
                </option>
                ${r.map(i=>p`<option value=${i.id} ?selected=${i.id===this._phone}>
                      ${i.name}
                    </option>`)}
              </select>
            </label>`:d}
        <div class="reply">
          <textarea
            rows="2"
            .value=${this._draft}
            placeholder=${this._t("reply")}
            aria-label=${this._t("reply")}
            @input=${i=>this._draft=i.target.value}
            @keydown=${i=>{i.key==="Enter"&&(i.ctrlKey||i.metaKey)&&this._send()}}
          ></textarea>
          <button
            class="send"
            title=${this._t("send")}
            ?disabled=${this._sending||!this._draft.trim()}
            @click=${this._send}
          >
            <ha-icon icon="mdi:send"></ha-icon>
          </button>
        </div>
        <div class="counter">
          ${this._t("counter",{characters:s.characters,parts:s.parts,encoding:this._t(s.encoding==="gsm7"?"encoding_gsm7":"encoding_ucs2")})}
        </div>
        ${this._sendError?p`<div class="send-error" role="alert">
              ${this._t("send_failed",{error:this._sendError})}
            </div>`:d}
      </div>
    `}_renderBubble(e){let s=e.direction==="outgoing"?ke(e.status):null,r=this._phoneName(e.phone_id),i=[this._time(e.at),r?this._t("via",{phone:r}):null,e.sim?this._t("sim",{sim:e.sim}):null].filter(Boolean);return p`
      <div class="bubble ${e.direction}" data-status=${e.status}>
        <div class="text">${e.text}</div>
        ${e.attachments.map(o=>p`<a class="attachment" href=${o} target="_blank" rel="noreferrer"
            >${o}</a
          >`)}
        <div class="meta">
          <span>${i.join(" · ")}</span>
          ${s?p`<ha-icon
                class="tick ${s}"
                data-tick=${s}
                title=${this._t(`status_${s}`)}
                icon=${Te[s]}
              ></ha-icon>`:d}
        </div>
      </div>
    `}};I.properties={hass:{attribute:!1},_config:{state:!0},_entries:{state:!0},_entryId:{state:!0},_threads:{state:!0},_open:{state:!0},_search:{state:!0},_draft:{state:!0},_phone:{state:!0},_sending:{state:!0},_problem:{state:!0},_sendError:{state:!0}},I.styles=q`
    :host {
      --sms-bubble-in: var(--secondary-background-color, #f1f1f1);
      --sms-bubble-out: var(--primary-color, #03a9f4);
      --sms-bubble-out-text: var(--text-primary-color, #fff);
    }
    ha-card {
      display: flex;
      flex-direction: column;
      overflow: hidden;
      box-sizing: border-box;
    }
    button {
      font: inherit;
      color: inherit;
      background: none;
      border: none;
      cursor: pointer;
    }
    .header {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 12px 16px 8px;
      border-bottom: 1px solid var(--divider-color);
    }
    .title {
      flex: 1;
      font-size: 1.2em;
      font-weight: 500;
      display: flex;
      align-items: center;
      gap: 8px;
      min-width: 0;
    }
    .thread-title {
      flex-direction: column;
      align-items: flex-start;
      gap: 0;
    }
    .thread-title .number {
      font-size: 0.7em;
      color: var(--secondary-text-color);
    }
    .icon {
      padding: 4px;
      border-radius: 50%;
      color: var(--secondary-text-color);
    }
    .icon:hover {
      background: var(--secondary-background-color);
    }
    select,
    input,
    textarea {
      font: inherit;
      color: var(--primary-text-color);
      background: var(--card-background-color, var(--ha-card-background));
      border: 1px solid var(--divider-color);
      border-radius: 8px;
    }
    select {
      padding: 4px 8px;
    }
    .search {
      display: flex;
      align-items: center;
      gap: 8px;
      margin: 8px 16px;
      padding: 0 8px;
      border: 1px solid var(--divider-color);
      border-radius: 18px;
      color: var(--secondary-text-color);
    }
    .search input {
      flex: 1;
      border: none;
      padding: 8px 0;
      background: transparent;
      outline: none;
    }
    .threads,
    .messages {
      flex: 1;
      overflow-y: auto;
    }
    .row {
      display: flex;
      width: 100%;
      gap: 12px;
      padding: 10px 16px;
      text-align: start;
      align-items: center;
    }
    .row:hover {
      background: var(--secondary-background-color);
    }
    .avatar {
      flex: none;
      width: 40px;
      height: 40px;
      border-radius: 50%;
      display: grid;
      place-items: center;
      background: var(--primary-color);
      color: var(--text-primary-color, #fff);
      font-weight: 500;
    }
    .summary {
      flex: 1;
      min-width: 0;
      display: flex;
      flex-direction: column;
      gap: 2px;
    }
    .line {
      display: flex;
      align-items: center;
      gap: 8px;
      justify-content: space-between;
    }
    .name,
    .preview {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .preview {
      color: var(--secondary-text-color);
    }
    .unread .name,
    .unread .preview {
      font-weight: 600;
      color: var(--primary-text-color);
    }
    .time {
      flex: none;
      font-size: 0.8em;
      color: var(--secondary-text-color);
    }
    .badge {
      flex: none;
      min-width: 20px;
      padding: 0 6px;
      border-radius: 10px;
      background: var(--accent-color, var(--primary-color));
      color: var(--text-accent-color, var(--text-primary-color, #fff));
      font-size: 0.8em;
      line-height: 20px;
      text-align: center;
      box-sizing: border-box;
    }
    .empty,
    .problem {
      padding: 24px 16px;
      color: var(--secondary-text-color);
      text-align: center;
    }
    .problem {
      margin: auto;
    }
    .messages {
      display: flex;
      flex-direction: column-reverse;
      gap: 6px;
      padding: 12px 16px;
    }
    .bubble {
      max-width: 78%;
      padding: 8px 12px;
      border-radius: 16px;
      overflow-wrap: anywhere;
    }
    .text {
      white-space: pre-wrap;
    }
    .bubble.incoming {
      align-self: flex-start;
      background: var(--sms-bubble-in);
      color: var(--primary-text-color);
      border-bottom-left-radius: 4px;
    }
    .bubble.outgoing {
      align-self: flex-end;
      background: var(--sms-bubble-out);
      color: var(--sms-bubble-out-text);
      border-bottom-right-radius: 4px;
    }
    .meta {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: 4px;
      margin-top: 2px;
      font-size: 0.72em;
      opacity: 0.8;
    }
    .tick {
      --mdc-icon-size: 16px;
    }
    .preview .tick {
      margin-inline-end: 4px;
      vertical-align: middle;
    }
    .tick.failed {
      color: var(--error-color, #db4437);
    }
    .bubble.outgoing .tick.failed {
      color: var(--sms-bubble-out-text);
    }
    .attachment {
      display: block;
      color: inherit;
    }
    .older {
      align-self: center;
      color: var(--primary-color);
      padding: 6px;
    }
    .compose {
      border-top: 1px solid var(--divider-color);
      padding: 8px 16px 10px;
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .from {
      font-size: 0.85em;
      color: var(--secondary-text-color);
      display: flex;
      gap: 8px;
      align-items: center;
    }
    .reply {
      display: flex;
      gap: 8px;
      align-items: flex-end;
    }
    textarea {
      flex: 1;
      resize: none;
      padding: 8px 10px;
    }
    .send {
      color: var(--primary-color);
      padding: 8px;
    }
    .send[disabled] {
      color: var(--disabled-text-color, #bdbdbd);
      cursor: default;
    }
    .counter {
      font-size: 0.75em;
      color: var(--secondary-text-color);
    }
    .send-error {
      font-size: 0.85em;
      color: var(--error-color, #db4437);
    }
  `;function ot(n){let t=Array.from(n.replace(/^\+/,"").trim())[0]??"?";return/\d/.test(t)?"#":t.toUpperCase()}function Ne(){customElements.get("sms-bridge-inbox-card")||(customElements.define("sms-bridge-inbox-card-editor",U),customElements.define("sms-bridge-inbox-card",I))}document.querySelector("home-assistant")&&!customElements.get("home-assistant")?customElements.whenDefined("home-assistant").then(Ne):Ne();var Re=window.customCards??=[];Re.some(n=>n.type==="sms-bridge-inbox-card")||Re.push({type:"sms-bridge-inbox-card",name:w(void 0,"card_name"),description:w(void 0,"card_description"),preview:!1,documentationURL:"https://github.com/sms-bridge/ha-sms-bridge#inbox"});export{I as SmsBridgeInboxCard};
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
