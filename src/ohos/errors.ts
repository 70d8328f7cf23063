/**
 * `BusinessError` and the error codes of `@ohos.net.webSocket`.
 *
 * @module
 */

/** Error codes from the `@ohos.net.webSocket` documentation. */
export const ErrorCode = {
  /** Permission denied (device only; never raised here). */
  PermissionDenied: 201,
  /** A parameter has the wrong type or value. */
  ParameterError: 401,
  /** The URL is not ws:/wss:, cannot be parsed, or is too long. */
  UrlError: 2302001,
  /** A certificate file does not exist. */
  CertificateFileMissing: 2302002,
  /** `connect` on a client that already has a connection. */
  ConnectionExists: 2302003,
  /** The server cannot listen on the given interface. */
  CannotListenOnInterface: 2302004,
  /** The server cannot listen on the port. */
  CannotListenOnPort: 2302005,
  /** The server has no such connection. */
  ConnectionNotFound: 2302006,
  /** The port is already in use. */
  PortInUse: 2302007,
  /** Access to the domain is not allowed. */
  DomainNotAllowed: 2302998,
  /** Any other error. */
  Unknown: 2302999,
  /** Connecting failed, or `send` while not open. */
  ConnectFailed: -1,
} as const;

/**
 * The error type of the ohos API: an `Error` with a numeric `code` and
 * optional `data`. `JSON.stringify` shows `code`, `message` and `data`, as
 * code written for the device expects.
 *
 * @example
 * ```ts
 * import { BusinessError } from "./errors.ts";
 * const err = new BusinessError(401, "url must be a string");
 * JSON.stringify(err); // '{"code":401,"message":"url must be a string"}'
 * ```
 */
export class BusinessError<T = void> extends Error {
  /** Numeric error code (see {@linkcode ErrorCode}). */
  code: number;
  /** Extra information; for a refused handshake, the HTTP status as text. */
  data?: T;

  /**
   * Creates an error with a code and a message.
   *
   * @param code numeric error code
   * @param message what went wrong
   * @param data optional extra information
   */
  constructor(code: number, message: string, data?: T) {
    super(message);
    this.name = "BusinessError";
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  /** The plain-object form used by `JSON.stringify`. */
  toJSON(): { code: number; message: string; data?: T } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Shorthand for a 401 parameter error. */
export function parameterError(message: string): BusinessError {
  return new BusinessError(ErrorCode.ParameterError, message);
}
