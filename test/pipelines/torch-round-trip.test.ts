import test from 'ava'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import sharp from 'sharp'
import { photoLike } from '../helpers/images'
import { completed, runEngine } from '../helpers/engine'
import { PYTHON } from '../helpers/wds'

/**
 * The round trip of docs/scale-out.md with the real engines: rxception trains an epoch of
 * Inception-v4 at 75×75; timm's train.py (../shared/vendor/timm, Debian's torch, gloo on CPU) takes
 * the run's args.yaml and model.safetensors under `torchrun --nproc_per_node 2` and trains an epoch
 * on the same folders; rxception reads timm's last.pth.tar back and evaluates it on the same
 * validation images with the same preprocessing: the accuracy timm printed for its last epoch is
 * rxception's, to the image; `export --to timm-resume` gives timm's `--resume` rxception's run to
 * continue; and `--resume last.pth.tar` continues timm's run here from its next epoch.
 */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const shims = path.join(__dirname, '..', 'fixtures', 'torch-shims')
const timmDir = process.env.TIMM_DIR ?? path.join(__dirname, '..', '..', '..', 'shared', 'vendor', 'timm')

// timm's train.py prints its best metric after its last epoch's files are written
const timmFinished = /\*\*\* Best metric/
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => runEngine(cmd, args, env, { finished: timmFinished })

test.serial("rxception → torchrun train.py (timm, 2 processes) → rxception: timm's last-epoch accuracy is rxception's evaluation of its checkpoint, to the image", async t => {
  // several engine runs of a full-width network: minutes on a busy 2-core machine
  t.timeout(40 * 60_000)
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-torch-'))
  // timm's layout: ROOT/train/<class>, ROOT/validation/<class>; PNGs, so both decode the same bytes
  for (const [split, n] of [['train', 16], ['validation', 8]] as const) {
    for (const cls of ['a', 'b']) {
      mkdirSync(path.join(dir, split, cls), { recursive: true })
      for (let i = 0; i < n; i++) {
        const png = await photoLike(90 + 7 * i, 80 + 5 * i, (cls === 'a' ? 100 : 200) + i + (split === 'train' ? 0 : 50), 'png')
        // class b is the negative image, so there is something to learn
        writeFileSync(path.join(dir, split, cls, `${i}.png`), cls === 'a' ? png : await sharp(png).negate({ alpha: false }).png().toBuffer())
      }
    }
  }
  const ours = path.join(dir, 'rxception-run')
  const first = await run(process.execPath, [cli, 'train', '--model', 'inception-v4', '--img-size', '75', '--num-classes', '2', '--data', `folder:${dir}/train`, '--val-data', `folder:${dir}/validation`,
    '--epochs', '1', '-b', '8', '--eval-batch-size', '8', '--workers', '1', '--no-aug', '--lr', '0.01',
    // four steps are too few for batch-norm running statistics at momentum 0.1, and RandomResizedCrop's zoomed views are not the
    // evaluation's (eval-mode logits then reach 1e9 to 1e17, every image one class): the last batches' statistics, of the evaluation's view
    '--bn-momentum', '0.9', '--output', ours])
  t.is(first.status, 0, first.out.slice(-2000))

  const timmOut = path.join(dir, 'timm')
  const torch = await run(PYTHON, ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', path.join(timmDir, 'train.py'),
    '--config', path.join(ours, 'args.yaml'), '--initial-checkpoint', path.join(ours, 'model.safetensors'), '--device', 'cpu', '--epochs', '1',
    '--output', timmOut, '--experiment', 'continued', '--log-interval', '1'], { PYTHONPATH: [shims, timmDir].join(path.delimiter), OMP_NUM_THREADS: '1' })
  t.true(completed(torch), torch.out.slice(-3000))
  if (torch.lingered) t.log('torchrun lingered after its run and was ended')
  const timmRun = path.join(timmOut, 'continued')
  const summary = readFileSync(path.join(timmRun, 'summary.csv'), 'utf8').trim().split('\n').map(l => l.split(','))
  const column = (name: string) => Number(summary[summary.length - 1]![summary[0]!.indexOf(name)])
  const timmTop1 = column('eval_top1')
  t.log(`timm's last epoch: eval_top1 ${timmTop1}, eval_loss ${column('eval_loss')} (${readdirSync(timmRun).join(', ')})`)

  const evaluated = await run(process.execPath, [cli, 'evaluate', '--config', path.join(timmRun, 'args.yaml'), '--weights', path.join(timmRun, 'last.pth.tar'), '--out', path.join(dir, 'eval.json')])
  t.is(evaluated.status, 0, evaluated.out.slice(-2000))
  const result = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8')) as { examples: number; top1: number; loss: number; counts: { top1: number } }
  t.is(result.examples, 16)
  t.is(result.counts.top1, Math.round((timmTop1 / 100) * 16), `rxception: ${result.counts.top1} of 16 right; timm: ${timmTop1}%`)
  // the same logits, not only the same argmax: the mean cross-entropy agrees to float32 accumulation
  // (after so few steps the eval-mode network is far from calibrated and the loss is large, which
  // makes this a check of the logits themselves: the loss is their gap)
  const loss = column('eval_loss')
  t.log(`mean cross-entropy: rxception ${result.loss}, timm ${loss} (relative difference ${(Math.abs(result.loss - loss) / loss).toExponential(2)}); top-1 ${result.counts.top1}/16`)
  t.true(Math.abs(result.loss - loss) <= 1e-3 * Math.max(1, loss), `rxception's loss ${result.loss}, timm's ${loss}`)

  // and the other way: timm's --resume continues rxception's run, its RMSpropTF state included
  const exported = await run(process.execPath, [cli, 'export', '--to', 'timm-resume', ours])
  t.is(exported.status, 0, exported.out.slice(-2000))
  const timmResumed = await run(PYTHON, ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', path.join(timmDir, 'train.py'),
    '--config', path.join(ours, 'args.yaml'), '--resume', path.join(ours, 'timm-resume.pth.tar'), '--device', 'cpu', '--epochs', '2',
    '--output', timmOut, '--experiment', 'resumed'], { PYTHONPATH: [shims, timmDir].join(path.delimiter), OMP_NUM_THREADS: '1' })
  t.true(completed(timmResumed), timmResumed.out.slice(-3000))
  if (timmResumed.lingered) t.log('torchrun lingered after its run and was ended')
  t.regex(timmResumed.out, /Loaded checkpoint .*timm-resume\.pth\.tar' \(epoch 0\)|Restoring optimizer state from checkpoint/)
  const resumedSummary = readFileSync(path.join(timmOut, 'resumed', 'summary.csv'), 'utf8').trim().split('\n')
  t.deepEqual(resumedSummary.slice(1).map(l => l.split(',')[0]), ['1'], "timm ran only the epoch after rxception's")

  const resumed = await run(process.execPath, [cli, 'train', '--resume', path.join(timmRun, 'last.pth.tar'), '--epochs', '2', '--output', path.join(dir, 'resumed')])
  t.is(resumed.status, 0, resumed.out.slice(-2000))
  t.regex(resumed.out, /resuming timm's .*last\.pth\.tar after its epoch 0 \(state_dict, RMSpropTF's state continued\)/)
  t.regex(resumed.out, /Train: 1 \[ {3}0\/4/, 'the second epoch, as timm would run it next')
})
