"""The accelerator check: LRTuner measured on one GPU in one prepared, time-boxed call.

Modules: :mod:`.tasks` (the GPU-sized tasks, data on the device, bf16 autocast), :mod:`.plan`
(the runs in order of importance, their time estimates and the deadline), :mod:`.timing`
(the lockstep overhead measurement of ``benchmarks/overhead.py`` with synchronised timers),
:mod:`.carry` (the folder of wheels and data that travels to the device), :mod:`.check` (the
driver: ``python -m lrtuner_bench.gpu check`` / ``prepare``).
"""
