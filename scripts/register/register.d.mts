/**
 * `ohos-websocket/register` is imported for its effect only (`node --import
 * ohos-websocket/register`, `bun --preload ohos-websocket/register`): it resolves
 * `@ohos.net.webSocket`, `@kit.NetworkKit`, `@kit.BasicServicesKit` and `@ohos.base` to this
 * package. It exports nothing.
 *
 * @module
 */
export {};
