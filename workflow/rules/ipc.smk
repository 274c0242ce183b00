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
    threads: ipc_threads  # the receiver and its P senders, each pinned to a CPU
    resources:
        mpbench_timing=1,
        runtime=CELL_RUNTIME_MIN,
    params:
        python=sys.executable,
        options=ipc_options,
    shell:
        "{params.python} {input.script:q} --mechanism {wildcards.mechanism}"
        " --pattern {wildcards.pattern} --n {wildcards.n}"
        " --processes {wildcards.processes} {params.options}"
        " --output {output:q} > {log:q} 2>&1"


rule summarize_ipc:
    input:
        records=ipc_records,
    output:
        batches="results/summary/ipc_batches.csv",
        cells=report(
            "results/summary/ipc_cells.csv",
            caption="../report/ipc_cells.rst",
            category="ipc workload",
            subcategory="Tables",
            labels={"table": "ipc_cells.csv"},
        ),
        costs=report(
            "results/summary/ipc_costs.csv",
            caption="../report/ipc_costs.rst",
            category="ipc workload",
            subcategory="Tables",
            labels={"table": "ipc_costs.csv"},
        ),
        markdown="results/summary/ipc.md",
    log:
        "results/logs/summarize-ipc.log",
    localrule: True
    conda:
        ENVIRONMENT
    script:
        "../scripts/summarize_ipc.py"


# The ipc workload's figures (FIGURES_IPC, registered in mpbench.analysis.figures.ipc), each
# in its report section with its caption.
rule plot_ipc:
    input:
        cells="results/summary/ipc_cells.csv",
        costs="results/summary/ipc_costs.csv",
    output:
        **{
            entry.name: report(
                figure_path("ipc", entry.name),
                caption=f"../../{entry.caption}",
                category="ipc workload",
                subcategory=entry.section,
                labels={"figure": entry.name.replace("_", " ")},
            )
            for entry in FIGURES_IPC
        },
    log:
        "results/logs/plot-ipc.log",
    localrule: True
    conda:
        ENVIRONMENT
    script:
        "../scripts/plot_ipc.py"
