"""The experiment side: which strategies exist, what the config asks for, which cells to run.

Nothing here runs inside a measured process, so editing it reruns no benchmark cell.
"""
