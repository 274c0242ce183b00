# One job per cell. The strategy runs as a plain Python process (no Snakemake import in the
# measured processes) that kills its own process tree if the cell outlives timeout_s.
# The resource `mpbench_timing` (limit 1, in profiles/default) keeps two timing jobs from
# ever running at once, whatever --cores says.


rule measure_cell:
    input:
        strategy=strategy_script,
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
    params:
        python=sys.executable,
        warmups=config["warmups"],
        repeats=config["repeats"],
        timeout_s=config["timeout_s"],
        options=cell_options,
    shell:
        "{params.python} {input.strategy:q}"
        " --workload {wildcards.workload} --n {wildcards.n}"
        " --processes {wildcards.processes} --split {wildcards.split}"
        " --warmups {params.warmups} --repeats {params.repeats}"
        " --timeout {params.timeout_s} {params.options}"
        " --output {output:q} > {log:q} 2>&1"
