/**
 * A tiny PNG reader (node's zlib, no dependency): enough to check the Teams app icons' size and pixels.
 * Supports non-interlaced images at bit depth 8 in every colour type (grey, RGB, palette, grey+alpha, RGBA),
 * with tRNS transparency; anything else is refused with a clear error.
 */
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  colorType: number;
  /** Decoded pixels, 4 bytes (R, G, B, A) per pixel, row by row. */
  rgba: Uint8Array;
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bytes per pixel before expansion to RGBA, by colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Width and height from the IHDR chunk, without decoding the pixels. */
export function pngSize(data: Uint8Array): { width: number; height: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG file');
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

export function decodePng(data: Uint8Array): Png {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= buf.length; ) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new Error(`PNG chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const bitDepth = body[8];
      colorType = body[9];
      const interlace = body[12];
      if (bitDepth !== 8 || !(colorType in CHANNELS) || interlace !== 0) {
        throw new Error(`unsupported PNG (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`);
      }
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (colorType < 0 || idat.length === 0) throw new Error('PNG has no IHDR or no IDAT chunk');
  if (colorType === 3 && !palette) throw new Error('palette PNG without a PLTE chunk');

  const bpp = CHANNELS[colorType];
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const pixels = unfilter(raw, width, height, bpp);

  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * bpp;
    const { r, g, b, a } = toRgba(colorType, pixels, p, palette, transparency);
    rgba.set([r, g, b, a], i * 4);
  }
  return { width, height, colorType, rgba };
}

export function pixelAt(png: Png, x: number, y: number): Rgba {
  const i = (y * png.width + x) * 4;
  return { r: png.rgba[i], g: png.rgba[i + 1], b: png.rgba[i + 2], a: png.rgba[i + 3] };
}

/** Every pixel, left to right and top to bottom. */
export function* pixels(png: Png): Generator<Rgba & { x: number; y: number }> {
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) yield { x, y, ...pixelAt(png, x, y) };
  }
}

function unfilter(raw: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= bpp ? out[row + x - bpp] : 0;
      const up = y > 0 ? out[prev + x] : 0;
      const upLeft = y > 0 && x >= bpp ? out[prev + x - bpp] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = left; break;
        case 2: predictor = up; break;
        case 3: predictor = (left + up) >> 1; break;
        case 4: predictor = paeth(left, up, upLeft); break;
        default: throw new Error(`bad PNG filter type ${filter} on row ${y}`);
      }
      out[row + x] = (line[x] + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function toRgba(colorType: number, px: Uint8Array, p: number, palette?: Buffer, trns?: Buffer): Rgba {
  switch (colorType) {
    case 0: {
      const v = px[p];
      const a = trns && trns.length >= 2 && trns.readUInt16BE(0) === v ? 0 : 255;
      return { r: v, g: v, b: v, a };
    }
    case 2: {
      const [r, g, b] = [px[p], px[p + 1], px[p + 2]];
      const a = trns && trns.length >= 6 && trns.readUInt16BE(0) === r && trns.readUInt16BE(2) === g && trns.readUInt16BE(4) === b ? 0 : 255;
      return { r, g, b, a };
    }
    case 3: {
      const index = px[p];
      if (!palette || index * 3 + 2 >= palette.length) throw new Error(`PNG palette index ${index} out of range`);
      const a = trns && index < trns.length ? trns[index] : 255;
      return { r: palette[index * 3], g: palette[index * 3 + 1], b: palette[index * 3 + 2], a };
    }
    case 4:
      return { r: px[p], g: px[p], b: px[p], a: px[p + 1] };
    default:
      return { r: px[p], g: px[p + 1], b: px[p + 2], a: px[p + 3] };
  }
}
