"""``lrtuner-bench``: LRTuner against tuned baselines and learning-rate-free peers.

Modules: :mod:`.data` (offline data loaders), :mod:`.tasks` (task registry), :mod:`.schedules`
(LR schedules as pure functions), :mod:`.methods` (one configuration per method),
:mod:`.runner` (training loop, run records), :mod:`.targets` (tuned baseline and time to
target), :mod:`.report` (tables and figures).
"""
