import { appendFileSync, existsSync, writeFileSync } from 'fs'
import * as path from 'path'
import { stringify } from 'yaml'
import { TrainEvent } from '../lib/train'
import { TrainConfig } from './config'
import { toTimmArgs } from './timm-args'

/** timm's summary.csv columns (timm/utils/summary.py with train loss and eval loss, top1, top5). */
export const SUMMARY_COLUMNS = ['epoch', 'train_loss', 'eval_loss', 'eval_top1', 'eval_top5', 'lr'] as const

/**
 * Writes a run's folder the way timm's train.py writes one, beside rxception's own files:
 * `args.yaml` (timm's keys, rxception's under `rxception_`, sorted as timm's `yaml.safe_dump`), and
 * returns a subscriber appending a `summary.csv` row per epoch (timm's columns: the epoch from 0,
 * the epoch's mean train loss, the held-out loss, top-1 and top-5 in percent, the last learning
 * rate). Without held-out data the eval columns are left out, as timm leaves them out without
 * a validation set. A resumed run appends to the file it finds.
 *
 * @example
 * const onEvent = timmRunFiles(out, config, classes)
 * events.subscribe(onEvent)
 */
export const timmRunFiles = (out: string, config: TrainConfig, classes: number, heldOut: boolean): ((e: TrainEvent) => void) => {
  writeFileSync(path.join(out, 'args.yaml'), stringify(toTimmArgs(config, classes)))
  const file = path.join(out, 'summary.csv')
  const columns = heldOut ? SUMMARY_COLUMNS : SUMMARY_COLUMNS.filter(c => !c.startsWith('eval_'))
  if (!existsSync(file)) writeFileSync(file, `${columns.join(',')}\n`)
  let lr = NaN
  let epoch: { epoch: number; loss: number } | undefined
  const row = (values: Record<string, number>) => appendFileSync(file, `${columns.map(c => String(values[c])).join(',')}\n`)
  return e => {
    if (e.type === 'step') lr = e.lr
    else if (e.type === 'epoch') {
      epoch = { epoch: e.epoch, loss: e.loss }
      if (!heldOut) row({ epoch: e.epoch, train_loss: e.loss, lr })
    } else if (e.type === 'eval' && epoch && heldOut) {
      row({ epoch: epoch.epoch, train_loss: epoch.loss, eval_loss: e.loss, eval_top1: 100 * e.top1, eval_top5: 100 * e.top5, lr })
    }
  }
}
