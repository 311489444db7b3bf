/**
 * The few ONNX protobuf messages the exporter writes, encoded by hand.
 *
 * Field numbers follow onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
 * OperatorSetIdProto). Writing these eight messages takes less code than a
 * protobuf library plus the schema, and only encoding is needed.
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** A tensor stored in the graph (weights, constant shapes). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** FLOAT tensors hold a Float32Array, INT64 tensors a BigInt64Array. */
  data: Float32Array | BigInt64Array;
}

/** An attribute value: a number is INT unless listed in `floats`, arrays become INTS / FLOATS. */
export type OnnxAttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

/** One operator in the graph. */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttributeValue>;
}

/** A graph input or output: float tensor with fixed dims (number) or symbolic ones (string). */
export interface OnnxValueInfo {
  name: string;
  shape: (number | string)[];
}

/** A whole model: one graph in the default domain. */
export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString?: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

/** Append-only byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A varint; negative values are written as 64-bit two's complement (10 bytes), as int64 requires. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  intField(field: number, value: number | bigint): this {
    return this.tag(field, WIRE_VARINT).varint(value);
  }

  floatField(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.tag(field, WIRE_FIXED32).bytes(b);
  }

  bytesField(field: number, data: Uint8Array): this {
    return this.tag(field, WIRE_LEN).varint(data.length).bytes(data);
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    const f = new Float32Array(values);
    return this.bytesField(field, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Little-endian bytes of a typed array (raw_data is little-endian by the ONNX spec). */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  } else {
    for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, data[i], true);
  }
  return out;
}

function encodeTensor(t: OnnxTensor): Uint8Array {
  const w = new Writer();
  if (t.dims.length > 0) w.packedInts(1, t.dims); // dims
  w.intField(2, t.data instanceof Float32Array ? ONNX_FLOAT : ONNX_INT64); // data_type
  w.stringField(8, t.name); // name
  w.bytesField(9, littleEndianBytes(t.data)); // raw_data
  return w.finish();
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

function encodeAttribute(name: string, a: OnnxAttributeValue): Uint8Array {
  const w = new Writer();
  w.stringField(1, name);
  switch (a.kind) {
    case 'float':
      w.floatField(2, a.value).intField(20, ATTR_FLOAT);
      break;
    case 'int':
      w.intField(3, a.value).intField(20, ATTR_INT);
      break;
    case 'string':
      w.stringField(4, a.value).intField(20, ATTR_STRING);
      break;
    case 'floats':
      w.packedFloats(7, a.value).intField(20, ATTR_FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value).intField(20, ATTR_INTS);
      break;
  }
  return w.finish();
}

function encodeNode(n: OnnxNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.bytesField(5, encodeAttribute(name, value));
  return w.finish();
}

function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === 'number') dim.intField(1, d); // dim_value
    else dim.stringField(2, d); // dim_param
    shape.bytesField(1, dim.finish());
  }
  const tensorType = new Writer().intField(1, ONNX_FLOAT).bytesField(2, shape.finish());
  const type = new Writer().bytesField(1, tensorType.finish());
  return new Writer().stringField(1, v.name).bytesField(2, type.finish()).finish();
}

/** Serialises `model` to the bytes of an .onnx file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new Writer();
  for (const n of model.nodes) graph.bytesField(1, encodeNode(n));
  graph.stringField(2, model.graphName);
  for (const t of model.initializers) graph.bytesField(5, encodeTensor(t));
  for (const i of model.inputs) graph.bytesField(11, encodeValueInfo(i));
  for (const o of model.outputs) graph.bytesField(12, encodeValueInfo(o));

  const opset = new Writer().stringField(1, '').intField(2, model.opsetVersion);
  const w = new Writer();
  w.intField(1, model.irVersion);
  w.stringField(2, model.producerName);
  w.stringField(3, model.producerVersion);
  if (model.docString) w.stringField(6, model.docString);
  w.bytesField(7, graph.finish());
  w.bytesField(8, opset.finish());
  return w.finish();
}
