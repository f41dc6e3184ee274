import { onnx } from 'onnx-proto'
import { Graph, GraphChild } from '../nn/graph'
import { Padding } from '../ops'
import { Shape, Tensor } from '../tensor'
import { Tree } from '../tree'

/**
 * The ONNX operator set the exporter writes: 13 (Conv, MaxPool, AveragePool with
 * count_include_pad, GlobalAveragePool, Flatten, Gemm, Concat, Add, Mul, Relu, Transpose,
 * Identity): ONNX 1.8's set, read by ONNX Runtime since 1.6 (tested here with onnxruntime-web 1.30).
 *
 * @example
 * onnx.ModelProto.decode(bytes).opsetImport[0].version === ONNX_OPSET
 */
export const ONNX_OPSET = 13
/** ONNX IR version 7 is the one that goes with opset 13. */
const IR_VERSION = 7

/**
 * How {@link exportOnnx} names and lays out the model.
 *
 * @example
 * const o: OnnxExportOptions = { layout: 'nchw', inputName: 'input', outputName: 'logits' }
 */
export interface OnnxExportOptions {
  /** The input's layout: `nchw` (default: what PyTorch, timm and most ONNX tools feed) or `nhwc` (rxception's own; a Transpose is put first). */
  readonly layout?: 'nchw' | 'nhwc'
  readonly inputName?: string
  readonly outputName?: string
  /** The graph's name in the model (default `rxception`). */
  readonly graphName?: string
  readonly producerVersion?: string
  /** Free-form metadata (the network's name, its classes, the run it came from), kept in the model's metadata_props. */
  readonly metadata?: Readonly<Record<string, string>>
}

/** A value flowing through the graph: its name and shape without the batch (channels first, or features). */
interface Value {
  readonly name: string
  readonly shape: readonly number[]
}

/**
 * A network the exporter cannot write: one line naming the layer and what was expected.
 *
 * @example
 * try { exportOnnx(graph, params, state, [299, 299, 3]) } catch (e) { if (e instanceof OnnxExportError) console.error(e.message) }
 */
export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OnnxExportError'
  }
}

/**
 * A network as an ONNX model: its graph (`Layer.graph`) with its inference weights, batch norm
 * folded into the convolution before it as rxception folds it in inference, a symbolic batch
 * dimension, 'same' padding written out as explicit pads (TensorFlow's rule: the extra pixel after),
 * 'same' average pooling with `count_include_pad = 0` (only positions inside the image counted),
 * dropout left out. The output is the logits, `[batch, classes]`.
 *
 * @example
 * const net = inceptionResNetV2({ classes: 10 })
 * const { params, state } = net.init(keyFromSeed(0), [1, 299, 299, 3])
 * const bytes = exportOnnx(net.graph!([1, 299, 299, 3]), params, state, [299, 299, 3])
 * writeFileSync('model.onnx', bytes)
 */
export const exportOnnx = (graph: Graph, params: Tree, state: Tree, inputHWC: Shape, options: OnnxExportOptions = {}): Uint8Array => {
  const [h, w, c] = inputHWC
  if (inputHWC.length !== 3 || ![h, w, c].every(n => Number.isInteger(n) && n! > 0)) {
    throw new OnnxExportError(`onnx export: the input shape must be [height, width, channels], got [${inputHWC.join(', ')}]`)
  }
  const b = new Builder()
  const inputName = options.inputName ?? 'input'
  const layout = options.layout ?? 'nchw'
  let x: Value = { name: inputName, shape: [c!, h!, w!] }
  if (layout === 'nhwc') x = b.node('Transpose', [inputName], 'input_nchw', x.shape, { perm: [0, 3, 1, 2] })
  const y = b.emit(graph, params, state, x, 'net')
  const outputName = options.outputName ?? 'logits'
  b.node('Identity', [y.name], outputName, y.shape)
  const batch = { dimParam: 'batch' }
  const dims = (s: readonly number[]) => [batch, ...s.map(d => ({ dimValue: d }))]
  const valueInfo = (name: string, s: readonly number[]) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims(s) } } } })
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'rxception',
    producerVersion: options.producerVersion ?? '',
    graph: {
      name: options.graphName ?? 'rxception',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(inputName, layout === 'nhwc' ? [h!, w!, c!] : [c!, h!, w!])],
      output: [valueInfo(outputName, y.shape)],
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  })
  return onnx.ModelProto.encode(model).finish()
}

/** The exporter's attributes are all integers: one (`axis`) or a list (`pads`). */
type Attribute = number | readonly number[]

/** TensorFlow's 'same' padding for one axis: output ceil(n / s), the odd pixel after. */
const samePads = (n: number, k: number, s: number): [number, number] => {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0)
  return [Math.floor(total / 2), total - Math.floor(total / 2)]
}

const outSize = (n: number, k: number, s: number, padding: Padding) => (padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1)

/** ONNX pads for a 2-D window: [top, left, bottom, right]. */
const windowPads = (shape: readonly number[], kh: number, kw: number, stride: number, padding: Padding): number[] => {
  if (padding === 'valid') return [0, 0, 0, 0]
  const [t, bo] = samePads(shape[1]!, kh, stride)
  const [l, r] = samePads(shape[2]!, kw, stride)
  return [t, l, bo, r]
}

const sub = (tree: Tree, name: string | undefined): Tree => (name ? ((tree[name] as Tree | undefined) ?? {}) : tree)
const childPath = (where: string, c: GraphChild) => (c.name ? `${where}.${c.name}` : where)

/** Accumulates nodes and initializers; names come from the layers' parameter paths. */
class Builder {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  private readonly used = new Map<string, number>()

  /** A fresh value name from a path (`net.stem.conv` → `stem.conv`, then `stem.conv_1` ...). */
  private fresh(base: string): string {
    const clean = base.replace(/^net\.?/, '') || 'x'
    const n = this.used.get(clean) ?? 0
    this.used.set(clean, n + 1)
    return n === 0 ? clean : `${clean}_${n}`
  }

  node(op: string, inputs: readonly string[], name: string, shape: readonly number[], attrs: Record<string, Attribute> = {}): Value {
    const out = this.fresh(name)
    this.nodes.push({
      opType: op,
      name: out,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([n, v]) => (typeof v === 'number'
        ? { name: n, type: onnx.AttributeProto.AttributeType.INT, i: v }
        : { name: n, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] })),
    })
    return { name: out, shape }
  }

  constant(name: string, dims: readonly number[], values: Float32Array): string {
    const n = this.fresh(name)
    // a view, not a copy: the encoder copies the bytes into the model once (a full IR-v2 is 220 MB of weights)
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
    this.initializers.push({ name: n, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw })
    return n
  }

  emit(g: Graph, p: Tree, s: Tree, x: Value, where: string): Value {
    switch (g.op) {
      case 'serial': {
        let y = x
        for (let i = 0; i < g.children.length; i++) {
          const c = g.children[i]!
          const next = g.children[i + 1]
          if (c.graph.op === 'conv2d' && next?.graph.op === 'batchNorm') {
            y = this.conv(c.graph, sub(p, c.name), y, childPath(where, c), { graph: next.graph, p: sub(p, next.name), s: sub(s, next.name), where: childPath(where, next) })
            i++
          } else {
            y = this.emit(c.graph, sub(p, c.name), sub(s, c.name), y, childPath(where, c))
          }
        }
        return y
      }
      case 'branches': {
        const outs = g.children.map(c => this.emit(c.graph, sub(p, c.name), sub(s, c.name), x, childPath(where, c)))
        const [first] = outs
        if (!first) throw new OnnxExportError(`onnx export: ${where}: branches without children`)
        if (outs.some(o => o.shape.length !== 3 || o.shape[1] !== first.shape[1] || o.shape[2] !== first.shape[2])) {
          throw new OnnxExportError(`onnx export: ${where}: branches end at different sizes (${outs.map(o => `[${o.shape.join(', ')}]`).join(', ')}); their outputs are concatenated on channels`)
        }
        return this.node('Concat', outs.map(o => o.name), `${where}.concat`, [outs.reduce((n, o) => n + o.shape[0]!, 0), first.shape[1]!, first.shape[2]!], { axis: 1 })
      }
      case 'residual': {
        const body = this.emit(g.body, p, s, x, where)
        const scaled = g.scale === 1 ? body : this.node('Mul', [body.name, this.constant(`${where}.scale`, [], Float32Array.of(g.scale))], `${where}.scaled`, body.shape)
        const sum = this.node('Add', [x.name, scaled.name], `${where}.add`, x.shape)
        return g.relu ? this.node('Relu', [sum.name], `${where}.relu`, sum.shape) : sum
      }
      case 'conv2d':
        return this.conv(g, p, x, where)
      case 'batchNorm': {
        // without a convolution before it to fold into: x·scale + shift, per channel
        const f = batchNormAffine(g, p, s, where, x.shape[0]!)
        const ch = [x.shape[0]!, 1, 1]
        const scaled = this.node('Mul', [x.name, this.constant(`${where}.scale`, ch, f.scale)], `${where}.scaled`, x.shape)
        const y = this.node('Add', [scaled.name, this.constant(`${where}.shift`, ch, f.shift)], where, x.shape)
        return g.relu ? this.node('Relu', [y.name], `${where}.relu`, y.shape) : y
      }
      case 'maxPool':
      case 'avgPool': {
        const pads = windowPads(x.shape, g.size, g.size, g.stride, g.padding)
        const shape = [x.shape[0]!, outSize(x.shape[1]!, g.size, g.stride, g.padding), outSize(x.shape[2]!, g.size, g.stride, g.padding)]
        const attrs: Record<string, Attribute> = { kernel_shape: [g.size, g.size], strides: [g.stride, g.stride], pads }
        if (g.op === 'avgPool') attrs.count_include_pad = 0
        return this.node(g.op === 'maxPool' ? 'MaxPool' : 'AveragePool', [x.name], where, shape, attrs)
      }
      case 'relu':
        return this.node('Relu', [x.name], `${where}.relu`, x.shape)
      case 'globalAvgPool': {
        const pooled = this.node('GlobalAveragePool', [x.name], `${where}.pool`, [x.shape[0]!, 1, 1])
        return this.node('Flatten', [pooled.name], `${where}.flatten`, [x.shape[0]!], { axis: 1 })
      }
      case 'dense': {
        const weight = leaf(p, 'weight', where)
        const bias = leaf(p, 'bias', where)
        if (x.shape.length !== 1 || weight.shape[0] !== x.shape[0]) {
          throw new OnnxExportError(`onnx export: ${where}: dense expects [batch, ${weight.shape[0]}] features, got [batch, ${x.shape.join(', ')}] (a dense layer follows global pooling)`)
        }
        return this.node('Gemm', [x.name, this.constant(`${where}.weight`, weight.shape, weight.data), this.constant(`${where}.bias`, bias.shape, bias.data)], where, [g.units])
      }
      case 'dropout':
        return x
    }
  }

  /** A convolution (OIHW weights from rxception's HWIO), with the batch norm after it folded in when there is one. */
  private conv(g: Extract<Graph, { op: 'conv2d' }>, p: Tree, x: Value, where: string, bn?: { graph: Graph; p: Tree; s: Tree; where: string }): Value {
    if (x.shape.length !== 3) throw new OnnxExportError(`onnx export: ${where}: a convolution needs [batch, channels, height, width], got [batch, ${x.shape.join(', ')}]`)
    const weight = leaf(p, 'weight', where)
    const [kh, kw, cin, cout] = weight.shape as [number, number, number, number]
    if (cin !== x.shape[0]) throw new OnnxExportError(`onnx export: ${where}.weight: expected ${x.shape[0]} input channels, got shape [${weight.shape.join(', ')}]`)
    const bias = g.bias ? leaf(p, 'bias', where).data : new Float32Array(cout)
    const folded = bn && bn.graph.op === 'batchNorm' ? batchNormAffine(bn.graph, bn.p, bn.s, bn.where, cout) : undefined
    const oihw = new Float32Array(weight.size)
    const src = weight.data
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) {
      const v = src[((i * kw + j) * cin + ci) * cout + co]!
      oihw[((co * cin + ci) * kh + i) * kw + j] = folded ? v * folded.scale[co]! : v
    }
    const b = folded ? Float32Array.from(bias, (v, co) => v * folded.scale[co]! + folded.shift[co]!) : bias
    const shape = [cout, outSize(x.shape[1]!, kh, g.stride, g.padding), outSize(x.shape[2]!, kw, g.stride, g.padding)]
    const name = bn ? bn.where.replace(/\.[^.]*$/, '') || where : where
    const y = this.node('Conv', [x.name, this.constant(`${where}.weight`, [cout, cin, kh, kw], oihw), this.constant(`${where}.bias`, [cout], b)], name, shape, {
      kernel_shape: [kh, kw], strides: [g.stride, g.stride], pads: windowPads(x.shape, kh, kw, g.stride, g.padding),
    })
    return bn?.graph.op === 'batchNorm' && bn.graph.relu ? this.node('Relu', [y.name], `${name}.relu`, y.shape) : y
  }
}

const leaf = (tree: Tree, name: string, where: string): Tensor => {
  const t = tree[name]
  if (!(t instanceof Tensor)) throw new OnnxExportError(`onnx export: parameter '${where}.${name}' is missing`)
  return t
}

/** Inference batch norm as y = x·scale + shift per channel (scale = γ / √(var + ε), shift = β − mean·scale). */
const batchNormAffine = (g: Extract<Graph, { op: 'batchNorm' }>, p: Tree, s: Tree, where: string, channels: number) => {
  const mean = leaf(s, 'running_mean', where).data
  const variance = leaf(s, 'running_var', where).data
  const beta = leaf(p, 'bias', where).data
  const gamma = g.gamma ? leaf(p, 'weight', where).data : undefined
  if (mean.length !== channels) throw new OnnxExportError(`onnx export: ${where}.running_mean: expected ${channels} channels, got ${mean.length}`)
  const scale = Float32Array.from(variance, (v, i) => (gamma ? gamma[i]! : 1) / Math.sqrt(v + g.epsilon))
  const shift = Float32Array.from(beta, (v, i) => v - mean[i]! * scale[i]!)
  return { scale, shift }
}
