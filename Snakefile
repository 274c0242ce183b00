# mpbench: what each way of using Python's multiprocessing costs, measured.
# Table of contents; the rules live in workflow/rules/, the experiment in config/.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/ipc_common.smk"
include: "workflow/rules/ipc.smk"


rule all:
    default_target: True
    input:
        summary_targets(),
        ipc_targets(),
