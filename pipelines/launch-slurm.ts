import { LaunchPlan, shellLine } from './launch-plan'

/** What a Slurm job array asks for, from `rxception launch slurm`'s flags. */
export interface SlurmResources {
  /** Tasks running at once (the array's %P); null: all. */
  readonly parallel: number | null
  readonly cpus: number
  /** Slurm's --mem (per node, e.g. 8G); null: the partition's default. */
  readonly mem: string | null
  /** Slurm's --time (e.g. 2:00:00); null: the partition's limit. */
  readonly time: string | null
  readonly partition: string | null
  readonly account: string | null
  /** Times a failed task is requeued before the array (and so the merge) fails. */
  readonly retries: number
}

/** Where the scripts run: the command that starts rxception there, the working folder, the logs' folder. */
export interface SlurmPlace {
  readonly rxception: readonly string[]
  readonly workdir: string
  readonly logs: string
}

const directives = (lines: readonly (string | null | false)[]) => lines.filter((l): l is string => Boolean(l)).map(l => `#SBATCH ${l}`).join('\n')

/**
 * The files of a Slurm launch: `array.sbatch` (the job array: one task an index, requeued on
 * failure up to `retries` times, SIGTERM from a requeue or preemption checkpointing the run),
 * `merge.sbatch` (the reduce job) and `submit.sh`, which submits the array and then the merge
 * with `--dependency=afterok` on it (extra sbatch options for the merge, such as --wait, pass
 * through).
 *
 * @example
 * const files = slurmFiles(sweepPlan('lr.yaml', null, null), resources, place)
 * writeFileSync('array.sbatch', files['array.sbatch'])
 */
export const slurmFiles = (plan: LaunchPlan, r: SlurmResources, place: SlurmPlace): Record<'array.sbatch' | 'merge.sbatch' | 'submit.sh', string> => {
  const what = plan.kind === 'sweep' ? `member $SLURM_ARRAY_TASK_ID of the sweep ${plan.grid!.file}` : `shard $SLURM_ARRAY_TASK_ID of ${plan.tasks} of an evaluation`
  const common = [r.partition && `--partition=${r.partition}`, r.account && `--account=${r.account}`, `--chdir=${place.workdir}`]
  const array = `#!/bin/sh
# Written by rxception launch slurm: ${plan.tasks} tasks, each ${what}.
${directives([`--job-name=${plan.name}`, `--array=0-${plan.tasks - 1}${r.parallel ? `%${r.parallel}` : ''}`, `--cpus-per-task=${r.cpus}`, r.mem && `--mem=${r.mem}`, r.time && `--time=${r.time}`, ...common,
    `--output=${place.logs}/%x-%A_%a.log`, '--open-mode=append', '--requeue'])}
# rxception's threads and libuv's pool sized to the allocation, not the node
export RXCEPTION_THREADS="\${SLURM_CPUS_PER_TASK:-${r.cpus}}"
export UV_THREADPOOL_SIZE="$RXCEPTION_THREADS"
${shellLine([...place.rxception, ...plan.task], 'SLURM_ARRAY_TASK_ID')}
status=$?
# a failed task goes back in the queue (it resumes from its checkpoint); after ${r.retries} retries it fails
if [ "$status" -ne 0 ] && [ "\${SLURM_RESTART_COUNT:-0}" -lt ${r.retries} ]; then
  echo "rxception launch: task $SLURM_ARRAY_TASK_ID exited $status; requeued (retry $((\${SLURM_RESTART_COUNT:-0} + 1)) of ${r.retries})" >&2
  scontrol requeue "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
fi
exit "$status"
`
  const merge = `#!/bin/sh
# Written by rxception launch slurm: the reduce job, after every task of the array succeeded.
${directives([`--job-name=${plan.name}-merge`, '--cpus-per-task=1', r.time && `--time=${r.time}`, ...common, `--output=${place.logs}/%x-%j.log`])}
${shellLine([...place.rxception, ...plan.merge], 'SLURM_ARRAY_TASK_ID')}
`
  const submit = `#!/bin/sh
# Written by rxception launch slurm: submits the array, then the merge after it (afterok: only if
# every task succeeded; a task that failed for good cancels the merge). Options given to this
# script go to the merge's sbatch (--wait: return when the merge has run, with its exit code).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable "$here/array.sbatch")
array=\${array%%;*}
echo "rxception launch: array job $array (${plan.tasks} tasks)"
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch")
merge=\${merge%%;*}
echo "rxception launch: merge job $merge (after $array)"
case " $* " in
  *" --wait "*)
    # sbatch --wait answers 0 for a merge cancelled because a task failed for good: ask Slurm
    state=$(scontrol show job "$merge" --oneliner 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    if [ "$state" != COMPLETED ]; then
      echo "rxception launch: merge job $merge ended \${state:-unknown} (a task failed for good? logs: ${place.logs})" >&2
      exit 1
    fi
    echo "rxception launch: merge job $merge completed" ;;
esac
`
  return { 'array.sbatch': array, 'merge.sbatch': merge, 'submit.sh': submit }
}
