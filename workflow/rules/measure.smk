# One job per cell. The strategy runs as a plain Python process (no Snakemake import in the
# measured processes) that kills its own process tree if the cell outlives timeout_s.
# The resource `mpbench_timing` (limit 1, in profiles/default) keeps two timing jobs from
# ever running at once, whatever --cores says.
# Every round of a cell also times the baseline (single), so its script is an input of
# every cell: editing it reruns them all; editing another strategy reruns only its cells.


rule measure_cell:
    input:
        strategy=strategy_script,
        baseline=workdir_relative(registry.script(registry.BASELINE)),
        harness=HARNESS,
    output:
        f"results/cells/{CELL}.json",
    log:
        f"results/logs/cells/{CELL}.log",
    conda:
        ENVIRONMENT
    threads: cell_threads
    resources:
        mpbench_timing=1,
        # minutes of wall time a batch system gives the job (profiles/slurm): the cell's own
        # timeout (past it, it ends itself) and a few minutes to start and write the record
        runtime=int(config["timeout_s"]) // 60 + 5,
    params:
        python=sys.executable,
        warmups=config["warmups"],
        memory_runs=config["memory_runs"],
        rounds=" ".join(
            f"--{option} {config['rounds'][key]}"
            for option, key in (
                ("min-rounds", "min"),
                ("max-rounds", "max"),
                ("target", "target"),
                ("budget", "budget_s"),
            )
        ),
        timeout_s=config["timeout_s"],
        options=cell_options,
    shell:
        "{params.python} {input.strategy:q}"
        " --workload {wildcards.workload} --n {wildcards.n}"
        " --processes {wildcards.processes} --split {wildcards.split}"
        " --warmups {params.warmups} --memory-runs {params.memory_runs} {params.rounds}"
        " --timeout {params.timeout_s} {params.options}"
        " --output {output:q} > {log:q} 2>&1"
