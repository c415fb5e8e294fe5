import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { blake2b256Hex, createBlake2b, toHex } from '../../src/standards/blake2b.js';

/** Bytes (i*7+3) mod 256, the same pattern the vectors were generated from. */
function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) % 256;
  return out;
}

// Generated with CPython's hashlib (2026):
//   hashlib.blake2b(data, digest_size=d).hexdigest()
// where data is b'abc' or bytes((i*7+3)%256 for i in range(n)).
const VECTORS: Array<[string | number, number, string]> = [
  ['abc', 32, 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319'],
  ['abc', 64, 'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923'],
  [0, 32, '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8'],
  [0, 64, '786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce'],
  [0, 20, '3345524abf6bbe1809449224b5972c41790b6cf2'],
  [0, 1, '2e'],
  [1, 32, 'e88bd757ad5b9bedf372d8d3f0cf6c962a469db61a265f6418e1ffed86da29ec'],
  [3, 32, '9facd640130c81e7f318a8d5c660bc1b0f5d03861ffbd4cc1358e0e904593c28'],
  [111, 32, 'f9ed2452d6931a670223e30c33b238c8464cbedf0d7bf8b15fafca239c12da37'],
  [127, 32, 'c9ae3859964b35f04c54b36d33cf299d7290ee621005d28e51598a943560aaaa'],
  [128, 32, 'f0501d06597880592bc49234eef100ec1ff349058d0e9d9b753504e24af86dd6'],
  [128, 64, '2d9e329f42afa3601d646692b81c13e87fcaff5bf15972e9813d7373cb6d181f9599f4d513d4af4fd6ebd37497aceb29aba5ee23ed764d8510b552bd088814fb'],
  [128, 20, '79ae684511c83fdee5f040c77bb7c9a317d3f2de'],
  [128, 1, 'f1'],
  [129, 32, 'a34a4e1e03c541dfbf3099c4b6c143c022ced65c28bd7e8a10e0a098461aecf0'],
  [255, 32, 'f2d64a40e9412a3414161ff6250075225418fd7c271c1123e162e1bca0de9f93'],
  [256, 32, 'd93ebb9c802f5630ab22516fd82b6c21bc8bd551d531349b715f046ed11ed871'],
  [257, 32, '4ce481b24d387422d2bc2baa03d1afd55a1327939ff537c71eb9b38709268649'],
  [257, 64, '9f1975efca45e7b74b020975d4d2c22802906ed8bfefca51ac497bd23147fc8f303890d8e5471ab6caaa02362e831a9e8d3435279912ccd4842c7806b096c348'],
  [257, 20, '6c5c3dc8ef56c5b57f416f035f9c907602a24b05'],
  [257, 1, '0c'],
  [1000, 32, 'd62b6c768ce1afc8367e0498ab2f8e3f7c178c35b1429f14c4604b545d200f52'],
  [65536, 32, '627c00cfc2d310043c8ce5df784509b8ad2ff85ade846de87100e4a0d539c3fb'],
  [100003, 32, '087cfc64cc007dd48c467d3324c435d32c5e7995f1d34c9342bb52af12b0a7b6'],
];

function input(spec: string | number): Uint8Array {
  return typeof spec === 'string' ? new TextEncoder().encode(spec) : pattern(spec);
}

describe('BLAKE2b', () => {
  for (const [spec, size, expected] of VECTORS) {
    it(`matches hashlib for ${typeof spec === 'string' ? JSON.stringify(spec) : `${spec} bytes`}, digest_size=${size}`, () => {
      assert.equal(toHex(createBlake2b(size).update(input(spec)).digest()), expected);
    });
  }

  it('gives the same digest however the input is split', () => {
    const data = pattern(100003);
    const expected = '087cfc64cc007dd48c467d3324c435d32c5e7995f1d34c9342bb52af12b0a7b6';
    for (const chunk of [1, 7, 127, 128, 129, 256, 4096, 65536]) {
      const hash = createBlake2b(32);
      for (let offset = 0; offset < data.length; offset += chunk) hash.update(data.subarray(offset, offset + chunk));
      assert.equal(toHex(hash.digest()), expected, `chunk size ${chunk}`);
    }
    // Empty updates in between change nothing.
    const hash = createBlake2b(32);
    hash.update(new Uint8Array(0)).update(data.subarray(0, 128)).update(new Uint8Array(0)).update(data.subarray(128));
    assert.equal(toHex(hash.digest()), expected);
  });

  it('blake2b256Hex is the 32-byte digest, not a truncated BLAKE2b-512', () => {
    assert.equal(blake2b256Hex(input('abc')), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
    const truncated512 = createHash('blake2b512').update('abc').digest('hex').slice(0, 64);
    assert.notEqual(blake2b256Hex(input('abc')), truncated512);
    // Our 64-byte output agrees with Node's own BLAKE2b-512.
    const data = pattern(5000);
    assert.equal(toHex(createBlake2b(64).update(data).digest()), createHash('blake2b512').update(data).digest('hex'));
  });

  it('refuses impossible digest lengths and reuse', () => {
    for (const bad of [0, 65, -1, 1.5, Number.NaN]) assert.throws(() => createBlake2b(bad), RangeError);
    const hash = createBlake2b(32);
    hash.digest();
    assert.throws(() => hash.digest());
    assert.throws(() => hash.update(new Uint8Array(1)));
  });
});
