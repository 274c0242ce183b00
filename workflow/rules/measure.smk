# One job per cell. The strategy runs as a plain Python process (no Snakemake import in the
# measured processes) that kills its own process tree if the cell outlives timeout_s.
# The resource `mpbench_timing` (limit 1, in profiles/default) keeps two timing jobs from
# ever running at once, whatever --cores says.
# Every round of a cell also times the strategy's baseline (its declared BASELINE: single,
# or single_mmap for mmap_file), so that script is an input of the cell: editing single
# reruns the cells measured against it, editing single_mmap only mmap_file's; editing
# another strategy reruns only its own cells.


rule measure_cell:
    input:
        strategy=strategy_script,
        baseline=baseline_script,
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
        runtime=CELL_RUNTIME_MIN,
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
