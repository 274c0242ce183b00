# The cheap steps after the measurements: tables, figures, report items. They read the
# records only, so they may run in parallel with each other (never with a timing job's data
# missing: they depend on every record). Under a cluster executor (profiles/slurm) they run
# where snakemake runs (localrule), not as cluster jobs.


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
    localrule: True
    conda:
        ENVIRONMENT
    script:
        "../scripts/summarize.py"


# One plotting rule per configured workload (its figures differ): plot_primes, plot_array.
# Its outputs are the workload's registered figures (FIGURES, from mpbench.analysis.figures),
# each in its report section with its caption.
for plotted in WORKLOADS:

    rule:
        name:
            f"plot_{plotted}"
        input:
            cells="results/summary/cells.csv",
            amdahl="results/summary/amdahl.csv",
        output:
            **{
                entry.name: report(
                    figure_path(plotted, entry.name),
                    caption=f"../../{entry.caption}",
                    category=f"{plotted} workload",
                    subcategory=entry.section,
                    labels={"figure": entry.name.replace("_", " ")},
                )
                for entry in FIGURES[plotted]
            },
        log:
            f"results/logs/plot-{plotted}.log",
        localrule: True
        conda:
            ENVIRONMENT
        params:
            workload=plotted,
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
    localrule: True
    conda:
        ENVIRONMENT
    params:
        python=sys.executable,
        script=workdir_relative(SCRIPTS / "compare.py"),
        reference=config.get("compare_with", ""),
    shell:
        "{params.python} {params.script:q} {params.reference:q} results"
        " --output results/compare > {log:q} 2>&1"
