#!/usr/bin/env bash
# make exercise|hint|solution EX=n: the student's side of the exercises.
#   exercise.sh test N      run exercise N's tests against exercises/ and say what failed
#   exercise.sh hint N      the next hint from docs/exercises/ (one more each time; RESET=1 starts over)
#   exercise.sh solution N  the reference solution beside your code, once your code passes (FORCE=1: now)
#   exercise.sh list        the exercises
# The exercises are listed once, in chapter05/scripts/exercises.tsv.
set -u
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here" || exit 1
action=${1:-}
ex=${2:-}
target=$action; [ "$action" = test ] && target=exercise     # the make target that called us
table=chapter05/scripts/exercises.tsv

list() {
  echo "Exercises (make exercise EX=n runs one; make hint EX=n gives the next hint):"
  grep -v '^#' "$table" | awk -F'\t' '{printf "  %s  level %s  %-44s %s\n", $1, $2, $3, "exercises/src/main/java/hpio/exercises/" $4}'
}
[ "$action" = list ] && { list; exit 0; }

if [ -z "$ex" ]; then
  echo "Say which exercise: make $target EX=1 (1 to 6, or a name: epoll, echo, edge, buffer, idle, shutdown)" >&2
  list >&2
  exit 2
fi
row=$(grep -v '^#' "$table" | awk -F'\t' -v want="${ex#ex}" '
  { split($6, names, ","); hit = ($1 == want); for (i in names) if (names[i] == want) hit = 1 }
  hit { print; exit }')
if [ -z "$row" ]; then
  echo "No exercise '$ex': use EX=1 to 6, or epoll, echo, edge, buffer, idle, shutdown" >&2
  exit 2
fi
IFS=$'\t' read -r n level name files tests aliases <<<"$row"
IFS=, read -r -a rel <<<"$files"
mine=(); reference=()
for f in "${rel[@]}"; do
  mine+=("exercises/src/main/java/hpio/exercises/$f")
  reference+=("solutions/src/main/java/hpio/exercises/$f")
done
page=$(ls docs/exercises/ex$n-*.md 2>/dev/null | head -n 1)
passed_marker=exercises/target/passed/ex$n

case "$action" in
  hint)
    [ -n "$page" ] || { echo "no hint page for exercise $n in docs/exercises/" >&2; exit 1; }
    mkdir -p .hints
    state=.hints/ex$n
    [ "${RESET:-}" = 1 ] && rm -f "$state"
    total=$(awk '/^## Hints/{on=1; next} on && /^## /{exit} on && /^### /{n++} END{print n+0}' "$page")
    [ "$total" -gt 0 ] || { echo "the hint page $page has no '### ' hints under '## Hints'" >&2; exit 1; }
    seen=$(cat "$state" 2>/dev/null || echo 0)
    if [ "$seen" -ge "$total" ]; then
      echo "Exercise $n: you have seen all $total hints (make hint EX=$n RESET=1 to start over)."
      echo "Still stuck? Each failing test's message names the mistake it caught: make exercise EX=$n"
      exit 0
    fi
    next=$((seen + 1))
    echo "Exercise $n: $name, hint $next of $total (from $page)"
    echo
    awk -v want="$next" '/^## Hints/{on=1; next} on && /^## /{exit} on && /^### /{k++} on && k == want' "$page"
    echo "$next" >"$state"
    echo
    if [ "$next" -lt "$total" ]; then
      echo "($((total - next)) more: make hint EX=$n. Try with this one first.)"
    else
      echo "(That was the last hint.)"
    fi
    ;;
  solution)
    newest_mine=$(ls -t "${mine[@]}" 2>/dev/null | head -n 1)
    if [ "${FORCE:-}" != 1 ] && { [ ! -f "$passed_marker" ] || [ "$newest_mine" -nt "$passed_marker" ]; }; then
      echo "Exercise $n: the solution is shown once your code passes its tests: make exercise EX=$n"
      echo "(Stuck? make hint EX=$n. Instructors: make solution EX=$n FORCE=1.)"
      exit 1
    fi
    echo "Exercise $n: $name. Your code (-) against the reference solution (+):"
    echo
    for i in "${!mine[@]}"; do
      diff -u --label "yours: ${mine[$i]}" --label "reference: ${reference[$i]}" "${mine[$i]}" "${reference[$i]}" \
        && echo "(${rel[$i]}: identical)"
    done
    exit 0
    ;;
  test)
    JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
    export JAVA_HOME
    log=$(mktemp)
    echo "Exercise $n: $name: testing your code in ${mine[*]} ..."
    # chapter05 (the balancer and the shared test helpers) must be installed for the exercises module.
    if ! ./mvnw -q -B -ntp -pl chapter05 -am -DskipTests install >"$log" 2>&1; then
      cat "$log"; echo "make exercise: the chapter05 build failed (above)" >&2; exit 1
    fi
    rm -f "$passed_marker"
    rm -rf exercises/target/surefire-reports          # only this run's failures are listed below
    ./mvnw -B -ntp -pl exercises test -DskipExerciseTests=false -Dtest="$tests" \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
    rc=$?
    if grep -q "COMPILATION ERROR" "$log"; then
      grep -E "^\[ERROR\] /.*\.java" "$log" | sed 's/^\[ERROR\] //' | sort -u | head -n 20
      echo
      echo "Your code does not compile yet: fix the lines above, then make exercise EX=$n again."
      rm -f "$log"; exit 1
    fi
    grep -E "Tests run:.*in hpio" "$log" | sed -E 's/^\[[A-Z]+\] //'
    if [ $rc -eq 0 ]; then
      mkdir -p "$(dirname "$passed_marker")" && touch "$passed_marker"
      echo
      echo "Exercise $n passes. Compare with the reference: make solution EX=$n"
      [ "$n" -lt 6 ] && echo "Next: make exercise EX=$((n + 1))"
      rm -f "$log"; exit 0
    fi
    echo
    echo "Failing (each message names what the test caught):"
    for report in exercises/target/surefire-reports/*.txt; do
      [ -f "$report" ] || continue
      # A test's line, then its exception's message (AssertJ puts "[why]" on the line after a colon).
      awk '/<<< (FAILURE|ERROR)!/ && !/^Tests run:/ {split($1, a, "."); name=a[length(a)]; getline
             msg=$0; while (msg ~ /: *$/ && (getline line) > 0 && line != "") msg = msg " " line
             print "  - " name ": " msg}' "$report"
    done | cut -c1-300
    todo=$(grep -n "TODO(ex$n)" "${mine[@]}" 2>/dev/null | grep -c . )
    echo
    [ "$todo" -gt 0 ] && echo "$todo TODO(ex$n) left in your code: each says what must hold."
    echo "Stuck? make hint EX=$n (one hint at a time). Full log: exercises/target/surefire-reports/"
    rm -f "$log"; exit 1
    ;;
  *) echo "usage: exercise.sh test|hint|solution|list N" >&2; exit 2 ;;
esac
