#!/usr/bin/env bash
# make verify-exercises: every exercise's tests must
#   - fail against its untouched stub (a test that passes on a stub asserts nothing),
#   - pass against its solution,
#   - fail against each known-wrong version in exercises/mutants/exN/NAME/, with the
#     message in that folder's EXPECT file (the test names the mistake), in bounded time.
# A mutant folder holds mutant.diff, a patch against the solution (so the mistake
# is plain to read: `cat exercises/mutants/ex3/no-budget/mutant.diff`), applied to
# a copy of the solutions for that run, and EXPECT. EX=n checks one exercise.
set -u
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here" || exit 1
JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
export JAVA_HOME
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
table=chapter05/scripts/exercises.tsv
only=${EX:-}
MUTANT_SECONDS=${MUTANT_SECONDS:-180}
start=$(date +%s)

echo "verify-exercises: building ..."
./mvnw -q -B -ntp -DskipTests install >"$log/build" 2>&1 || { cat "$log/build"; exit 1; }

# The stubs as committed: if exercises/ holds your work, test a pristine copy instead.
stubs=$here
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 &&
   ! git diff --quiet HEAD -- exercises 2>/dev/null; then
  stubs="$log/pristine"
  mkdir -p "$stubs"
  git archive HEAD pom.xml .mvn mvnw chapter05/pom.xml solutions/pom.xml exercises | tar -x -C "$stubs"
  echo "verify-exercises: exercises/ has your changes; checking the committed stubs in a copy"
fi

rows=$(grep -v '^#' "$table" | awk -F'\t' -v only="$only" 'only == "" || $1 == only')
[ -n "$rows" ] || { echo "verify-exercises: no exercise '$only' in $table" >&2; exit 2; }
ok=1

echo "verify-exercises: the tests against the untouched stubs (each one must fail) ..."
(cd "$stubs" && ./mvnw -B -ntp -pl exercises test -DskipExerciseTests=false -Dmaven.test.failure.ignore=true) \
  >"$log/stubs" 2>&1
while IFS=$'\t' read -r n level name files tests aliases; do
  total=0 failed=0
  for xml in "$stubs"/exercises/target/surefire-reports/TEST-*.xml; do
    [ -f "$xml" ] || continue
    suite=$(sed -n 's/.*<testsuite [^>]*name="\([^"]*\)".*/\1/p' "$xml" | head -n 1)
    case "$suite" in hpio.exercises.ex$n.*) ;; *) continue ;; esac
    t=$(grep -c '<testcase ' "$xml")
    # A testcase element that holds a <failure> or <error> child.
    f=$(awk '/<testcase /{inside=1; bad=0} inside && /<(failure|error)[ >]/{bad=1} /<\/testcase>|<testcase [^>]*\/>/{if(inside){if(bad) n++; inside=0}} END{print n+0}' "$xml")
    total=$((total + t)) failed=$((failed + f))
  done
  if [ "$total" -eq 0 ]; then
    echo "  ex$n: no tests ran against the stub"; ok=0
  elif [ "$failed" -ne "$total" ]; then
    echo "  ex$n: only $failed of $total tests fail against the stub: the others assert nothing"; ok=0
  else
    echo "  ex$n: all $total tests fail against the stub"
  fi
done <<<"$rows"
[ $ok -eq 1 ] || { echo; tail -n 40 "$log/stubs"; }

echo "verify-exercises: the same tests against the solutions (each one must pass) ..."
if ./mvnw -B -ntp -pl solutions test >"$log/solutions" 2>&1; then
  grep -E "Tests run:.*in hpio" "$log/solutions" | sed -E 's/^\[[A-Z]+\] /  /'
else
  grep -E "Tests run:|<<<|FAIL" "$log/solutions" | head -n 40
  echo "  the solutions fail their tests"; ok=0
fi

echo "verify-exercises: the known-wrong mutants (each must fail, naming its mistake, within ${MUTANT_SECONDS} s) ..."
mutants=0
while IFS=$'\t' read -r n level name files tests aliases; do
  found=0
  for dir in exercises/mutants/ex$n/*/; do
    [ -d "$dir" ] || continue
    found=$((found + 1)) mutants=$((mutants + 1))
    mutant=$(basename "$dir")
    expect=$(cat "$dir/EXPECT" 2>/dev/null)
    [ -n "$expect" ] || { echo "  ex$n/$mutant: no EXPECT file (the message the tests must give)"; ok=0; continue; }
    # A copy of the solutions module with the mutant's file(s) in place of the solution's.
    work="$log/mutant-ex$n-$mutant"
    mkdir -p "$work"
    git ls-files -z pom.xml .mvn mvnw chapter05/pom.xml exercises/pom.xml solutions exercises/src/test 2>/dev/null \
      | (cd "$here" && xargs -0 tar -c) | tar -x -C "$work"
    # The solutions as already compiled: Maven then recompiles the module's main
    # sources for the mutant and keeps the test classes, instead of building all anew.
    cp -a solutions/target "$work/solutions/target" 2>/dev/null
    if [ ! -f "$dir/mutant.diff" ]; then
      echo "  ex$n/$mutant: no mutant.diff (the mistake, as a patch against the solution)"; ok=0; continue
    fi
    if ! patch -s -p1 -d "$work" <"$dir/mutant.diff" >"$log/patch" 2>&1; then
      echo "  ex$n/$mutant: its patch no longer applies to the solution: make it again from a copy"
      sed 's/^/      /' "$log/patch" | head -n 5; ok=0; continue
    fi
    t0=$(date +%s)
    (cd "$work" && timeout "$MUTANT_SECONDS" ./mvnw -B -ntp -o -pl solutions test -Dtest="$tests" \
      -Dsurefire.failIfNoSpecifiedTests=false) >"$log/m" 2>&1
    rc=$? secs=$(( $(date +%s) - t0 ))
    reports=$(cat "$work"/solutions/target/surefire-reports/*.txt 2>/dev/null)
    if [ $rc -eq 124 ]; then
      echo "  ex$n/$mutant: still running after ${MUTANT_SECONDS} s: a test hangs instead of failing fast"; ok=0
    elif [ $rc -eq 0 ]; then
      echo "  ex$n/$mutant: PASSED the tests: they do not catch this mistake"; ok=0
    elif grep -q "COMPILATION ERROR" "$log/m"; then
      echo "  ex$n/$mutant: does not compile"; grep -E "^\[ERROR\] /" "$log/m" | head -n 5; ok=0
    elif ! grep -qF -- "$expect" <<<"$reports"; then
      echo "  ex$n/$mutant: failed, but no message says \"$expect\":"
      grep -hE "<<< (FAILURE|ERROR)" -A1 "$work"/solutions/target/surefire-reports/*.txt | head -n 6 | sed 's/^/      /'
      ok=0
    else
      echo "  ex$n/$mutant: fails in ${secs} s with \"$expect\""
    fi
  done
  [ "$found" -ge 2 ] || { echo "  ex$n: $found mutant(s) in exercises/mutants/ex$n/: at least 2 are needed"; ok=0; }
done <<<"$rows"

secs=$(( $(date +%s) - start ))
if [ $ok -eq 1 ]; then
  echo "verify-exercises: $(wc -l <<<"$rows") exercise(s), $mutants mutant(s) checked in $((secs / 60))m$((secs % 60))s:" \
    "every test fails on its stub, passes on its solution, and every mutant is caught by name"
  exit 0
fi
echo "verify-exercises: FAILED" >&2
exit 1
