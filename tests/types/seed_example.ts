// deno-fmt-ignore-file
// deno-lint-ignore-file no-var prefer-const no-unused-vars
// The complete example of the API 6/8 seed document (shared/seed/000_00d78cb27dd4748d.txt),
// kept verbatim: the only change is the seed's `= >` written as `=>`. No type annotations were
// added: under `tsc --strict` every callback parameter gets its type from types/ohos.d.ts.
// Formatting and the lint rules on `var`, `let` and unused callback parameters are switched off
// above so that it stays verbatim.
import webSocket from '@ohos.net.webSocket';
var defaultIpAddress = "ws://";
let ws = webSocket.createWebSocket();
ws.on('open', (err, value) => {
console.log("on open, status:" + value['status'] + ", message:" + value['message']);
// 當收到on('open')事件時,可以通過send()方法與服務器進行通信
ws.send("Hello, server!", (err, value) => {
if (!err) {
console.log("send success");
} else {
console.log("send fail, err:" + JSON.stringify(err));
}
});
});
ws.on('message', (err, value) => {
console.log("on message, message:" + value);
// 當收到服務器的`bye`消息時(此消息字段僅為示意,具體字段需要與服務器協(xié)商),主動斷開連接
if (value === 'bye') {
ws.close((err, value) => {
if (!err) {
console.log("close success");
} else {
console.log("close fail, err is " + JSON.stringify(err));
}
});
}
});
ws.on('close', (err, value) => {
console.log("on close, code is " + value.code + ", reason is " + value.reason);
});
ws.on('error', (err) => {
console.log("on error, error:" + JSON.stringify(err));
});
ws.connect(defaultIpAddress, (err, value) => {
if (!err) {
console.log("connect success");
} else {
console.log("connect fail, err:" + JSON.stringify(err));
}
});
