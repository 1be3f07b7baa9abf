#!/usr/bin/env bash
# make exercise|hint|solution EX=n: the student's side of the four exercises.
#   exercise.sh test N      run exercise N's tests against exercises/ and say what to do next
#   exercise.sh hint N      print the hints from docs/exercises/
#   exercise.sh solution N  show the reference solution beside your code (a diff)
set -u
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here" || exit 1
action=${1:-}
ex=${2:-}
target=$action; [ "$action" = test ] && target=exercise     # the make target that called us

case "$ex" in
  1|ex1|edge|edge-triggered)      n=1 name="edge-triggered mode" class=EdgeTriggered ;;
  2|ex2|buffer|write-buffer*)     n=2 name="write buffering"     class=WriteBuffer ;;
  3|ex3|idle|idle-timeout)        n=3 name="idle timeout"        class=IdleTimeouts ;;
  4|ex4|shutdown|graceful*)       n=4 name="graceful shutdown"   class=GracefulShutdown ;;
  "") echo "Say which exercise: make $target EX=1 (1 to 4, or edge, buffer, idle, shutdown)" >&2; exit 2 ;;
  *)  echo "No exercise '$ex': use EX=1 to 4, or edge, buffer, idle, shutdown" >&2; exit 2 ;;
esac
src="hpio/exercises/ex$n/$class.java"
mine="exercises/src/main/java/$src"
reference="solutions/src/main/java/$src"
page=$(ls docs/exercises/ex$n-*.md 2>/dev/null | head -n 1)

next_todo() {
  grep -n "TODO(ex$n)" "$mine" | grep -v 'UnsupportedOperationException' | head -n 1 |
    sed -E "s|^([0-9]+):[[:space:]]*// *|$mine:\1: |"
}

case "$action" in
  hint)
    [ -n "$page" ] || { echo "no hint page for exercise $n in docs/exercises/" >&2; exit 1; }
    echo "Exercise $n: $name (hints from $page)"
    echo
    # The "Hints" section: from its heading to the next heading of the same level.
    awk '/^## Hints/{on=1; next} on && /^## /{exit} on' "$page"
    ;;
  solution)
    echo "Exercise $n: $name. Your code (-) against the reference solution (+):"
    echo
    diff -u --label "yours: $mine" --label "reference: $reference" "$mine" "$reference" && echo "(identical)"
    exit 0
    ;;
  test)
    JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
    export JAVA_HOME
    log=$(mktemp)
    echo "Exercise $n: $name: testing your code in $mine ..."
    # chapter05 (the balancer and the shared test helpers) must be installed for the exercises module.
    if ! ./mvnw -q -B -ntp -pl chapter05 -am -DskipTests install >"$log" 2>&1; then
      cat "$log"; echo "make exercise: the chapter05 build failed (above)" >&2; exit 1
    fi
    ./mvnw -B -ntp -pl exercises test -DskipExerciseTests=false -Dtest="hpio.exercises.ex$n.*Test" \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
    rc=$?
    if grep -q "COMPILATION ERROR" "$log"; then
      grep -E "^\[ERROR\] /.*\.java" "$log" | sed 's/^\[ERROR\] //' | head -n 20
      echo
      echo "Your code does not compile yet: fix the lines above, then make exercise EX=$n again."
      rm -f "$log"; exit 1
    fi
    grep -E "Tests run:.*in hpio" "$log" | sed -E 's/^\[[A-Z]+\] //'
    if [ $rc -eq 0 ]; then
      echo
      echo "Exercise $n passes. Compare with the reference: make solution EX=$n"
      [ $n -lt 4 ] && echo "Next: make exercise EX=$((n + 1))"
      echo "Try it for real: ./high_perf_lb --help (the exercise options use your code)"
      rm -f "$log"; exit 0
    fi
    echo
    echo "Failing:"
    for report in exercises/target/surefire-reports/hpio.exercises.ex$n.*.txt; do
      [ -f "$report" ] || continue
      awk '/^hpio\..*<<< (FAILURE|ERROR)!/{split($1, a, "."); name=a[length(a)]; getline; print "  - " name ": " $0}' "$report"
    done | cut -c1-220
    todo=$(next_todo)
    echo
    if [ -n "$todo" ]; then
      echo "Next TODO: $todo"
    else
      echo "No TODO(ex$n) left in $mine: read the failures above (full log: exercises/target/surefire-reports/)."
    fi
    echo "Stuck? make hint EX=$n"
    rm -f "$log"; exit 1
    ;;
  *) echo "usage: exercise.sh test|hint|solution N" >&2; exit 2 ;;
esac
