/**
 * The UTF-8 payloads of Autobahn TestSuite cases 6.5–6.23, generated the way
 * Autobahn's `case6_x_x.py` (`createUtf8TestSequences`) generates them, so each
 * vector keeps Autobahn's case number: family `6.<i>`, case `6.<i>.<j>`.
 *
 * Each case is one text message sent in one frame; a valid one must be
 * delivered intact, an invalid one must fail the connection with 1007.
 *
 * @module
 */

import { concat } from "./bytes.ts";

/** One Autobahn 6.x case. */
export interface Utf8Case {
  /** Autobahn case number, e.g. `6.13.2`. */
  id: string;
  /** The text message payload. */
  payload: Uint8Array;
  /** True when the payload is valid UTF-8 (delivered), false when it must close with 1007. */
  valid: boolean;
}

/** One Autobahn 6.x family (`6.<i>`), with Autobahn's title. */
export interface Utf8Family {
  /** Family number, e.g. `6.13`. */
  id: string;
  /** Autobahn's title of the family. */
  title: string;
  /** The cases, in Autobahn's order. */
  cases: Utf8Case[];
}

const b = (...values: number[]) => Uint8Array.from(values);
const ascii = (s: string) => new TextEncoder().encode(s);
const hello = (...middle: number[]) => concat([ascii("hello"), b(...middle), ascii("world")]);

/** κόσμε in UTF-8 (11 bytes), the sample of 6.5.5 whose prefixes make 6.6. */
export const KOSME = b(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5);
/** Prefix lengths of {@linkcode KOSME} that end on a code point boundary. */
const KOSME_BOUNDARIES = new Set([2, 5, 7, 9, 11]);

// The 10 sequences of 6.14 (last continuation byte missing); 6.15 concatenates them.
const MISSING_LAST = [
  b(0xc0),
  b(0xe0, 0x80),
  b(0xf0, 0x80, 0x80),
  b(0xf8, 0x80, 0x80, 0x80),
  b(0xfc, 0x80, 0x80, 0x80, 0x80),
  b(0xdf),
  b(0xef, 0xbf),
  b(0xf7, 0xbf, 0xbf),
  b(0xfb, 0xbf, 0xbf, 0xbf),
  b(0xfd, 0xbf, 0xbf, 0xbf, 0xbf),
];

/** Autobahn's 6.22: the 34 noncharacters EF BF BE/BF and F[0-4] [89AB]F BF BE/BF (minus overlong and > U+10FFFF). */
function noncharacters(): Uint8Array[] {
  const out = [b(0xef, 0xbf, 0xbe), b(0xef, 0xbf, 0xbf)];
  for (const z1 of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    for (const z2 of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (z1 === 0xf4 && z2 !== 0x8f) continue; // above U+10FFFF
      if (z1 === 0xf0 && z2 === 0x8f) continue; // overlong
      for (const z3 of [0xbe, 0xbf]) out.push(b(z1, z2, 0xbf, z3));
    }
  }
  return out;
}

/** Autobahn 6.13: each start byte of a range (end exclusive, as Autobahn's `xrange`) followed by a space. */
function lonelyStarts(from: number, to: number): Uint8Array {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i, 0x20);
  return Uint8Array.from(out);
}

const RAW: [string, [boolean, Uint8Array][]][] = [
  ["Some valid UTF-8 sequences", [
    [true, hello(0x24)],
    [true, hello(0xc2, 0xa2)],
    [true, hello(0xe2, 0x82, 0xac)],
    [true, hello(0xf0, 0xa4, 0xad, 0xa2)],
    [true, KOSME],
  ]],
  [
    "All prefixes of a valid UTF-8 string that contains multi-byte code points",
    Array.from(
      { length: KOSME.length },
      (_, i): [boolean, Uint8Array] => [KOSME_BOUNDARIES.has(i + 1), KOSME.slice(0, i + 1)],
    ),
  ],
  ["First possible sequence of a certain length", [
    [true, b(0x00)],
    [true, b(0xc2, 0x80)],
    [true, b(0xe0, 0xa0, 0x80)],
    [true, b(0xf0, 0x90, 0x80, 0x80)],
  ]],
  ["First possible sequence length 5/6 (invalid codepoints)", [
    [false, b(0xf8, 0x88, 0x80, 0x80, 0x80)],
    [false, b(0xfc, 0x84, 0x80, 0x80, 0x80, 0x80)],
  ]],
  ["Last possible sequence of a certain length", [
    [true, b(0x7f)],
    [true, b(0xdf, 0xbf)],
    [true, b(0xef, 0xbf, 0xbf)],
    [true, b(0xf4, 0x8f, 0xbf, 0xbf)],
  ]],
  ["Last possible sequence length 4/5/6 (invalid codepoints)", [
    [false, b(0xf7, 0xbf, 0xbf, 0xbf)],
    [false, b(0xfb, 0xbf, 0xbf, 0xbf, 0xbf)],
    [false, b(0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf)],
  ]],
  ["Other boundary conditions", [
    [true, b(0xed, 0x9f, 0xbf)],
    [true, b(0xee, 0x80, 0x80)],
    [true, b(0xef, 0xbf, 0xbd)],
    [true, b(0xf4, 0x8f, 0xbf, 0xbf)],
    [false, b(0xf4, 0x90, 0x80, 0x80)],
  ]],
  ["Unexpected continuation bytes", [
    [false, b(0x80)],
    [false, b(0xbf)],
    [false, b(0x80, 0xbf)],
    [false, b(0x80, 0xbf, 0x80)],
    [false, b(0x80, 0xbf, 0x80, 0xbf)],
    [false, b(0x80, 0xbf, 0x80, 0xbf, 0x80)],
    [false, b(0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf)],
    // Autobahn's xrange(0x80, 0xbf): 0x80..0xBE.
    [false, Uint8Array.from({ length: 0xbf - 0x80 }, (_, i) => 0x80 + i)],
  ]],
  ["Lonely start characters", [
    [false, lonelyStarts(0xc0, 0xdf)],
    [false, lonelyStarts(0xe0, 0xef)],
    [false, lonelyStarts(0xf0, 0xf7)],
    [false, lonelyStarts(0xf8, 0xfb)],
    [false, lonelyStarts(0xfc, 0xfd)],
  ]],
  [
    "Sequences with last continuation byte missing",
    MISSING_LAST.map((s): [boolean, Uint8Array] => [false, s]),
  ],
  ["Concatenation of incomplete sequences", [[false, concat(MISSING_LAST)]]],
  ["Impossible bytes", [
    [false, b(0xfe)],
    [false, b(0xff)],
    [false, b(0xfe, 0xfe, 0xff, 0xff)],
  ]],
  ["Examples of an overlong ASCII character", [
    [false, b(0xc0, 0xaf)],
    [false, b(0xe0, 0x80, 0xaf)],
    [false, b(0xf0, 0x80, 0x80, 0xaf)],
    [false, b(0xf8, 0x80, 0x80, 0x80, 0xaf)],
    [false, b(0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf)],
  ]],
  ["Maximum overlong sequences", [
    [false, b(0xc1, 0xbf)],
    [false, b(0xe0, 0x9f, 0xbf)],
    [false, b(0xf0, 0x8f, 0xbf, 0xbf)],
    [false, b(0xf8, 0x87, 0xbf, 0xbf, 0xbf)],
    [false, b(0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf)],
  ]],
  ["Overlong representation of the NUL character", [
    [false, b(0xc0, 0x80)],
    [false, b(0xe0, 0x80, 0x80)],
    [false, b(0xf0, 0x80, 0x80, 0x80)],
    [false, b(0xf8, 0x80, 0x80, 0x80, 0x80)],
    [false, b(0xfc, 0x80, 0x80, 0x80, 0x80, 0x80)],
  ]],
  ["Single UTF-16 surrogates", [
    [false, b(0xed, 0xa0, 0x80)],
    [false, b(0xed, 0xad, 0xbf)],
    [false, b(0xed, 0xae, 0x80)],
    [false, b(0xed, 0xaf, 0xbf)],
    [false, b(0xed, 0xb0, 0x80)],
    [false, b(0xed, 0xbe, 0x80)],
    [false, b(0xed, 0xbf, 0xbf)],
  ]],
  ["Paired UTF-16 surrogates", [
    [false, b(0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80)],
    [false, b(0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf)],
    [false, b(0xed, 0xad, 0xbf, 0xed, 0xb0, 0x80)],
    [false, b(0xed, 0xad, 0xbf, 0xed, 0xbf, 0xbf)],
    [false, b(0xed, 0xae, 0x80, 0xed, 0xb0, 0x80)],
    [false, b(0xed, 0xae, 0x80, 0xed, 0xbf, 0xbf)],
    [false, b(0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80)],
    [false, b(0xed, 0xaf, 0xbf, 0xed, 0xbf, 0xbf)],
  ]],
  [
    "Non-character code points (valid UTF-8)",
    noncharacters().map((s): [boolean, Uint8Array] => [true, s]),
  ],
  ["Unicode specials (i.e. replacement char)", [
    [true, b(0xef, 0xbf, 0xb9)],
    [true, b(0xef, 0xbf, 0xba)],
    [true, b(0xef, 0xbf, 0xbb)],
    [true, b(0xef, 0xbf, 0xbc)],
    [true, b(0xef, 0xbf, 0xbd)],
    [true, b(0xef, 0xbf, 0xbe)],
    [true, b(0xef, 0xbf, 0xbf)],
  ]],
];

/** Autobahn families 6.5–6.23, numbered as Autobahn numbers them. */
export const UTF8_FAMILIES: readonly Utf8Family[] = RAW.map(([title, list], i) => {
  const id = `6.${i + 5}`;
  return {
    id,
    title,
    cases: list.map(([valid, payload], j) => ({ id: `${id}.${j + 1}`, payload, valid })),
  };
});

/** The family `6.<n>` (throws if it does not exist). */
export function utf8Family(id: string): Utf8Family {
  const found = UTF8_FAMILIES.find((f) => f.id === id);
  if (found === undefined) throw new Error(`no Autobahn family ${id}`);
  return found;
}

/** Hex form of a payload for messages, e.g. `ed a0 80`. */
export function hex(payload: Uint8Array): string {
  return Array.from(payload, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
