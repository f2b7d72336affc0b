# Timed steps for the test scripts (sourced, not run): `steps_begin TITLE SUCCESS-TEXT`, then
# `step NAME` before each step. On exit a summary lists each step's seconds and either SUCCESS-TEXT
# or the step that failed. Interrupts exit non-zero, so they report failure, not success.

step_names=()
step_seconds=()
current_step=""
step_started=0

# Prints a banner and starts timing a step; the previous step's time is recorded.
step() {
    finish_step
    current_step="$1"
    step_started=$SECONDS
    printf '\n==== %s ====\n' "$current_step"
}

finish_step() {
    if [ -n "$current_step" ]; then
        step_names+=("$current_step")
        step_seconds+=($((SECONDS - step_started)))
        current_step=""
    fi
}

steps_summary() {
    local status=$?
    local failed_step="$current_step"
    finish_step
    printf '\n==== %s ====\n' "$steps_title"
    local i
    for i in "${!step_names[@]}"; do
        printf '%6ds  %s\n' "${step_seconds[$i]}" "${step_names[$i]}"
    done
    printf '%6ds  total\n' "$SECONDS"
    if [ "$status" -ne 0 ]; then
        echo "FAILED in step: ${failed_step:-setup}"
    else
        echo "$steps_success"
    fi
}

steps_begin() {
    steps_title="$1"
    steps_success="$2"
    trap steps_summary EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
