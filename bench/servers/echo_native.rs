// Native echo server for the benchmark: std-only Rust, on 127.0.0.1 and a
// free port, one thread per connection. Each thread runs a small poll(2)
// loop on a non-blocking socket, so it reads and writes at the same time
// without handing data between threads.
//
//   echo_native ws   WebSocket echo (RFC 6455 server side; messages are
//                    reassembled and echoed whole; no UTF-8 check, no
//                    extensions: it is a load generator, not a conformance peer)
//   echo_native tcp  raw TCP echo
//
// Prints `PORT <n>` once listening. Exits after BENCH_SERVER_LIFETIME_S
// seconds (default 3600) or when killed; run.ts compiles it with
// `rustc -O` and stops it at the end.

use std::env;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::process;
use std::thread;
use std::time::Duration;

const MAX_MESSAGE: usize = 64 * 1024 * 1024;
const MAX_HEAD: usize = 16 * 1024;
const READ_CHUNK: usize = 256 * 1024;
/// Stop reading while this much echo is waiting to be written (backpressure).
const MAX_PENDING_OUT: usize = 16 * 1024 * 1024;

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

extern "C" {
    fn poll(fds: *mut PollFd, nfds: u64, timeout: i32) -> i32;
}

const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;

fn main() {
    let mode = env::args().nth(1).unwrap_or_else(|| "ws".to_string());
    let lifetime: u64 = env::var("BENCH_SERVER_LIFETIME_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3600);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    println!("PORT {}", listener.local_addr().unwrap().port());
    io::stdout().flush().unwrap();
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(lifetime));
        process::exit(0);
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let ws = mode == "ws";
        let _ = thread::Builder::new().stack_size(128 * 1024).spawn(move || {
            let _ = stream.set_nodelay(true);
            let _ = serve(stream, ws);
        });
    }
}

fn serve(mut stream: TcpStream, ws: bool) -> io::Result<()> {
    let mut input: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut session = Session::default();
    if ws && !handshake(&mut stream, &mut input, &mut out, &mut scratch)? {
        return Ok(());
    }
    stream.set_nonblocking(true)?;
    let mut out_pos = 0;
    let mut eof = false;
    loop {
        // Write what is pending until the socket would block.
        while out_pos < out.len() {
            match stream.write(&out[out_pos..]) {
                Ok(n) => out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if out_pos == out.len() {
            out.clear();
            out_pos = 0;
            if session.closing || eof {
                let _ = stream.shutdown(Shutdown::Write);
                return Ok(());
            }
        }
        let want_read = !eof && !session.closing && out.len() - out_pos < MAX_PENDING_OUT;
        let want_write = out_pos < out.len();
        let mut pfd = PollFd {
            fd: stream.as_raw_fd(),
            events: (if want_read { POLLIN } else { 0 }) | (if want_write { POLLOUT } else { 0 }),
            revents: 0,
        };
        if unsafe { poll(&mut pfd, 1, -1) } < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if !want_read || pfd.revents == POLLOUT {
            continue;
        }
        // Read what is there (a bounded number of times), then answer it.
        for _ in 0..16 {
            match stream.read(&mut scratch) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    if ws {
                        input.extend_from_slice(&scratch[..n]);
                    } else {
                        out.extend_from_slice(&scratch[..n]);
                    }
                    if n < scratch.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if ws {
            let used = session.frames(&mut input, &mut out)?;
            input.drain(..used);
        }
    }
}

/// Reads the HTTP upgrade request and queues the 101 answer in `out`; false
/// when the peer went away or sent no WebSocket key.
fn handshake(
    stream: &mut TcpStream,
    input: &mut Vec<u8>,
    out: &mut Vec<u8>,
    scratch: &mut [u8],
) -> io::Result<bool> {
    let head_end = loop {
        if let Some(i) = find(input, b"\r\n\r\n") {
            break i + 4;
        }
        if input.len() > MAX_HEAD {
            return Ok(false);
        }
        let n = stream.read(scratch)?;
        if n == 0 {
            return Ok(false);
        }
        input.extend_from_slice(&scratch[..n]);
    };
    let head = String::from_utf8_lossy(&input[..head_end]).to_string();
    let key = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_string())
    });
    let Some(key) = key else {
        stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(false);
    };
    let accept = base64(&sha1(format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes()));
    out.extend_from_slice(
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .as_bytes(),
    );
    input.drain(..head_end);
    Ok(true)
}

/// The message being reassembled, and whether the close handshake started.
#[derive(Default)]
struct Session {
    message: Vec<u8>,
    opcode: u8,
    closing: bool,
}

impl Session {
    /// Handles every complete frame in `input`, appending the echoes to `out`;
    /// returns how many bytes of `input` were used.
    fn frames(&mut self, input: &mut Vec<u8>, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut pos = 0;
        while let Some((fin, opcode, start, len)) = parse_header(&input[pos..])? {
            if input.len() - pos < start + len {
                // Make room for the rest of a big frame in one allocation.
                input.reserve(start + len - (input.len() - pos));
                break;
            }
            let at = pos + start;
            let mask = [input[at - 4], input[at - 3], input[at - 2], input[at - 1]];
            let payload = &mut input[at..at + len];
            unmask(payload, mask);
            match opcode {
                0x0 | 0x1 | 0x2 => {
                    if opcode != 0 {
                        self.opcode = opcode;
                    }
                    if fin && self.message.is_empty() {
                        frame(out, self.opcode, payload);
                    } else {
                        self.message.extend_from_slice(payload);
                        if self.message.len() > MAX_MESSAGE {
                            return Err(io::Error::new(ErrorKind::InvalidData, "message too big"));
                        }
                        if fin {
                            frame(out, self.opcode, &self.message);
                            self.message.clear();
                        }
                    }
                }
                0x9 => frame(out, 0xA, payload),
                0xA => {}
                0x8 => {
                    let code = if len >= 2 { payload[..2].to_vec() } else { Vec::new() };
                    frame(out, 0x8, &code);
                    self.closing = true;
                    return Ok(pos + start + len);
                }
                _ => return Err(io::Error::new(ErrorKind::InvalidData, "bad opcode")),
            }
            pos += start + len;
        }
        Ok(pos)
    }
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask) as u64;
    let word = word | (word << 32);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let value = u64::from_ne_bytes(chunk.try_into().unwrap()) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

/// `(fin, opcode, payload offset, payload length)` of a masked client frame, or
/// `None` when the header is not complete yet.
fn parse_header(b: &[u8]) -> io::Result<Option<(bool, u8, usize, usize)>> {
    if b.len() < 2 {
        return Ok(None);
    }
    let fin = b[0] & 0x80 != 0;
    let opcode = b[0] & 0x0f;
    if b[1] & 0x80 == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "unmasked client frame"));
    }
    let (len, offset) = match b[1] & 0x7f {
        126 => {
            if b.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([b[2], b[3]]) as usize, 4)
        }
        127 => {
            if b.len() < 10 {
                return Ok(None);
            }
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&b[2..10]);
            (u64::from_be_bytes(bytes) as usize, 10)
        }
        n => (n as usize, 2),
    };
    if len > MAX_MESSAGE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too big"));
    }
    if b.len() < offset + 4 {
        return Ok(None);
    }
    Ok(Some((fin, opcode, offset + 4, len)))
}

fn frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if len < 65536 {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        h[0] = h[0].wrapping_add(a);
        h[1] = h[1].wrapping_add(b);
        h[2] = h[2].wrapping_add(c);
        h[3] = h[3].wrapping_add(d);
        h[4] = h[4].wrapping_add(e);
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn base64(data: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(TABLE[(n >> 18) as usize & 63] as char);
        out.push(TABLE[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { TABLE[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { TABLE[n as usize & 63] as char } else { '=' });
    }
    out
}
