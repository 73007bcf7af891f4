#!/usr/bin/env bash
# 0.16.0 at defaults on the same tasks, seed LRs and seeds as run.sh (0.10.0), a report: no
# rule is chosen on it. Split over two processes (PART=a or PART=b). Resumes.
LABEL=0.16.0 TAG=016- exec "$(dirname "$0")/run.sh"
