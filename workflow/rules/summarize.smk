# The cheap steps after the measurements: tables, figures, report items. They read the
# records only, so they may run in parallel with each other (never with a timing job's data
# missing: they depend on every record).


rule summarize:
    input:
        records=cell_records,
    output:
        cells=report(
            "results/summary/cells.csv",
            caption="../report/cells.rst",
            category="Summary",
            labels={"table": "cells.csv"},
        ),
        repeats="results/summary/repeats.csv",
        markdown="results/summary/cells.md",
        html=report(
            "results/summary/cells.html",
            caption="../report/cells.rst",
            category="Summary",
            labels={"table": "summary table"},
        ),
    log:
        "results/logs/summarize.log",
    conda:
        ENVIRONMENT
    script:
        "../scripts/summarize.py"


rule plot:
    input:
        cells="results/summary/cells.csv",
    output:
        **{
            name: report(
                path,
                caption=f"../report/{name}.rst",
                category="{workload} workload",
                labels={"figure": name.replace("_", " ")},
            )
            for name, path in FIGURES.items()
        },
    log:
        "results/logs/plot-{workload}.log",
    conda:
        ENVIRONMENT
    script:
        "../scripts/plot.py"


rule compare:
    input:
        reference=reference_repeats,
        repeats="results/summary/repeats.csv",
    output:
        table=report(
            "results/compare/compare.csv",
            caption="../report/compare.rst",
            category="Comparison",
            labels={"table": "compare.csv"},
        ),
        summary="results/compare/compare.txt",
    log:
        "results/logs/compare.log",
    conda:
        ENVIRONMENT
    params:
        python=sys.executable,
        script=workdir_relative(SCRIPTS / "compare.py"),
        reference=config.get("compare_with", ""),
    shell:
        "{params.python} {params.script:q} {params.reference:q} results"
        " --output results/compare > {log:q} 2>&1"
