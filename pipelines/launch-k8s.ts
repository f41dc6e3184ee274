import * as path from 'path'
import { stringify } from 'yaml'
import { importEsm } from '../lib/io'
import { ConfigError } from './config'
import { LaunchPlan, shellLine, timeSeconds } from './launch-plan'

/** A Kubernetes launch's settings, from `rxception launch k8s`'s flags. */
export interface K8sSettings {
  /** The container image with rxception installed (`npm install -g rxception` or the package in a Node image). */
  readonly image: string
  readonly namespace: string | null
  /** The PersistentVolumeClaim every task and the merge mount: the members' folders must be shared. */
  readonly claim: string
  /** Where the claim is mounted, and the tasks' working folder (relative paths start there). */
  readonly mount: string
  /** Pods running at once (the Job's parallelism); null: all. */
  readonly parallel: number | null
  readonly cpus: number
  /** A memory request and limit in Kubernetes' units (8Gi); null: none. */
  readonly mem: string | null
  /** [D-]H:MM:SS, the Job's activeDeadlineSeconds; null: none. */
  readonly time: string | null
  /** Retries of each index (backoffLimitPerIndex), and of the merge (backoffLimit). */
  readonly retries: number
  readonly rxception: readonly string[]
}

/** Where the ConfigMap with the sweep's grid is mounted in the pods. */
export const GRID_MOUNT = '/etc/rxception'

/**
 * The files of a Kubernetes launch, each checked against the Kubernetes API schemas
 * (kubernetes-models): `job.yaml` (for a sweep, the ConfigMap holding the grid; the Indexed Job:
 * completionMode Indexed, one completion an index, backoffLimitPerIndex, the index from
 * JOB_COMPLETION_INDEX), `merge.yaml` (the reduce Job) and `submit.sh` (kubectl apply, wait for
 * the Job to complete, apply the merge).
 *
 * @example
 * const files = await k8sFiles(sweepPlan('lr.yaml', null, null), settings)
 */
export const k8sFiles = async (plan: LaunchPlan, k: K8sSettings): Promise<Record<'job.yaml' | 'merge.yaml' | 'submit.sh', string>> => {
  const { Job } = await importEsm<typeof import('kubernetes-models/batch/v1')>('kubernetes-models/batch/v1')
  const { ConfigMap } = await importEsm<typeof import('kubernetes-models/v1')>('kubernetes-models/v1')
  const metadata = (name: string) => ({ name, ...(k.namespace ? { namespace: k.namespace } : {}), labels: { 'app.kubernetes.io/name': 'rxception', 'rxception/launch': plan.name } })
  const gridKey = plan.grid ? path.basename(plan.grid.file) : null
  // the grid is read from the ConfigMap in the pods; every other path is the claim's
  const task = plan.task.map(w => (plan.grid && w === plan.grid.file ? `${GRID_MOUNT}/${gridKey}` : w))
  const resources = { requests: { cpu: String(k.cpus), ...(k.mem ? { memory: k.mem } : {}) }, ...(k.mem ? { limits: { memory: k.mem } } : {}) }
  const pod = (words: readonly string[], cpus: number, withGrid: boolean) => ({
    restartPolicy: 'Never' as const,
    // SIGTERM first: the run finishes its step and checkpoints before the kill
    terminationGracePeriodSeconds: 120,
    containers: [{
      name: 'rxception', image: k.image, workingDir: k.mount,
      command: ['sh', '-c', shellLine([...k.rxception, ...words], 'JOB_COMPLETION_INDEX')],
      env: [{ name: 'RXCEPTION_THREADS', value: String(cpus) }, { name: 'UV_THREADPOOL_SIZE', value: String(cpus) }],
      resources: cpus === k.cpus ? resources : { requests: { cpu: String(cpus) } },
      volumeMounts: [{ name: 'work', mountPath: k.mount }, ...(withGrid ? [{ name: 'grid', mountPath: GRID_MOUNT, readOnly: true }] : [])],
    }],
    volumes: [{ name: 'work', persistentVolumeClaim: { claimName: k.claim } }, ...(withGrid ? [{ name: 'grid', configMap: { name: `${plan.name}-grid` } }] : [])],
  })
  const deadline = k.time ? { activeDeadlineSeconds: timeSeconds(k.time) } : {}
  const job = new Job({
    metadata: metadata(plan.name),
    spec: {
      completionMode: 'Indexed', completions: plan.tasks, parallelism: k.parallel ?? plan.tasks, backoffLimitPerIndex: k.retries, ...deadline,
      template: { metadata: { labels: metadata(plan.name).labels }, spec: pod(task, k.cpus, Boolean(plan.grid)) },
    },
  })
  const merge = new Job({
    metadata: metadata(`${plan.name}-merge`),
    spec: { completions: 1, backoffLimit: k.retries, template: { metadata: { labels: metadata(plan.name).labels }, spec: pod(plan.merge, 1, false) } },
  })
  const grid = plan.grid ? new ConfigMap({ metadata: metadata(`${plan.name}-grid`), data: { [gridKey!]: plan.grid.text } }) : null
  // kubernetes-models' base class (validate, toJSON) is typed through package exports this CommonJS
  // build's resolution does not read: its two methods, as they are
  type Model = { validate(): void; toJSON(): unknown }
  const models = [['the Job', job], ['the merge Job', merge], ...(grid ? [['the ConfigMap', grid]] : [])] as [string, unknown][]
  for (const [what, model] of models) {
    try {
      ;(model as Model).validate()
    } catch (e) {
      throw new ConfigError(`launch k8s: ${what} does not match the Kubernetes schema: ${(e as Error).message.split('\n')[0]}`)
    }
  }
  const docs = (...models: unknown[]) => models.map(m => stringify((m as Model).toJSON(), { blockQuote: 'literal' })).join('---\n')
  const ns = k.namespace ? ` --namespace ${k.namespace}` : ''
  const submit = `#!/bin/sh
# Written by rxception launch k8s: applies the ${plan.kind === 'sweep' ? 'ConfigMap and the ' : ''}Indexed Job, waits for it to
# complete (every index; a failed index fails the Job after ${k.retries} retries), then applies the merge Job.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kubectl${ns} apply -f "$here/job.yaml"
kubectl${ns} wait --for=condition=complete --timeout=${k.time ? `${timeSeconds(k.time)}s` : '-1s'} job/${plan.name}
kubectl${ns} apply -f "$here/merge.yaml"
kubectl${ns} wait --for=condition=complete --timeout=-1s job/${plan.name}-merge
`
  return { 'job.yaml': grid ? docs(grid, job) : docs(job), 'merge.yaml': docs(merge), 'submit.sh': submit }
}
