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
        flagged=report(
            "results/summary/flagged.html",
            caption="../report/flagged.rst",
            category="Summary",
            labels={"table": "flagged cells"},
        ),
        amdahl=report(
            "results/summary/amdahl.csv",
            caption="../report/amdahl.rst",
            category="Summary",
            labels={"table": "amdahl.csv"},
        ),
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
        amdahl="results/summary/amdahl.csv",
    output:
        **{
            name: report(
                path,
                caption=f"../report/{name}.rst",
                category="{workload} workload",
                subcategory=section,
                labels={"figure": name.replace("_", " ")},
            )
            for name, (path, section) in FIGURES.items()
        },
    log:
        "results/logs/plot-{workload}.log",
    conda:
        ENVIRONMENT
    params:
        start_method=PRIMARY_START_METHOD,
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
        figure=report(
            "results/compare/compare.png",
            caption="../report/compare.rst",
            category="Comparison",
            labels={"figure": "compare"},
        ),
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
