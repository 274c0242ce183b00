# The ipc workload (docs/ipc.md): one job per cell, each a plain Python process
# (workflow/scripts/measure_ipc.py) supervised like the strategies' cells: timeout, process
# tree kill, nothing left behind. Its inputs are the mechanism's file and the harness it
# runs, so that editing one mechanism reruns only its cells.
# (Its functions are in workflow/rules/ipc_common.smk.)


rule measure_ipc:
    input:
        script=IPC_SCRIPT,
        mechanism=mechanism_file,
        harness=IPC_HARNESS,
    output:
        f"results/ipc/{IPC_CELL}.json",
    log:
        f"results/logs/ipc/{IPC_CELL}.log",
    wildcard_constraints:
        mechanism="|".join(ipc_mechanism.names()),
        pattern="|".join(ipc_mechanism.PATTERNS),
    conda:
        ENVIRONMENT
    threads: cell_threads
    resources:
        mpbench_timing=1,
    params:
        python=sys.executable,
        options=ipc_options,
    shell:
        "{params.python} {input.script:q} --mechanism {wildcards.mechanism}"
        " --pattern {wildcards.pattern} --n {wildcards.n}"
        " --processes {wildcards.processes} {params.options}"
        " --output {output:q} > {log:q} 2>&1"
