import { spawnSync } from 'child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { photoLike } from './images'

/** Debian's Python (with torch and torchvision), not a pyenv one. */
export const PYTHON = '/usr/bin/python3'

/** Shards written by Python's tarfile: `shards` × `per` samples of 20×16 PNGs labelled i mod 3. */
export const shards = async (n: number, per: number, info = false) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-wds-'))
  const pngs = path.join(dir, 'png')
  mkdirSync(pngs)
  for (let i = 0; i < n * per; i++) writeFileSync(path.join(pngs, `${i}.png`), await photoLike(20, 16, i, 'png'))
  const r = spawnSync(PYTHON, [path.join(__dirname, '..', 'fixtures', 'write_wds.py'), dir, String(n), String(per), ...(info ? ['--info'] : []), '--png-dir', pngs], { encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`write_wds.py: ${r.stderr || r.error?.message}`)
  return { dir, pattern: path.join(dir, `train-{${'0'.repeat(6)}..${String(n - 1).padStart(6, '0')}}.tar`) }
}

