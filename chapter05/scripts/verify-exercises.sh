#!/usr/bin/env bash
# make verify-exercises: every exercise's tests must fail against its untouched stub
# (a test that passes on a stub asserts nothing) and pass against the solution.
set -u
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here" || exit 1
JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
export JAVA_HOME
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

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

echo "verify-exercises: the tests against the untouched stubs (each one must fail) ..."
(cd "$stubs" && ./mvnw -B -ntp -pl exercises test -DskipExerciseTests=false -Dmaven.test.failure.ignore=true) \
  >"$log/stubs" 2>&1
ok=1
for n in 1 2 3 4; do
  total=0 failed=0
  for xml in "$stubs"/exercises/target/surefire-reports/TEST-hpio.exercises.ex$n.*.xml; do
    [ -f "$xml" ] || continue
    t=$(grep -c '<testcase ' "$xml")
    # A testcase element that holds a <failure> or <error> child.
    f=$(awk '/<testcase /{inside=1; bad=0} inside && /<(failure|error)[ >]/{bad=1} /<\/testcase>|<testcase [^>]*\/>/{if(inside){total+=0; if(bad) n++; inside=0}} END{print n+0}' "$xml")
    total=$((total + t)) failed=$((failed + f))
  done
  if [ "$total" -eq 0 ]; then
    echo "  ex$n: no tests ran against the stub"; ok=0
  elif [ "$failed" -ne "$total" ]; then
    echo "  ex$n: only $failed of $total tests fail against the stub: the others assert nothing"; ok=0
  else
    echo "  ex$n: all $total tests fail against the stub"
  fi
done
[ $ok -eq 1 ] || { echo; tail -n 40 "$log/stubs"; }

echo "verify-exercises: the same tests against the solutions (each one must pass) ..."
if ./mvnw -B -ntp -pl solutions test >"$log/solutions" 2>&1; then
  grep -E "Tests run:.*in hpio" "$log/solutions" | sed -E 's/^\[[A-Z]+\] /  /'
else
  grep -E "Tests run:|<<<|FAIL" "$log/solutions" | head -n 40
  echo "  the solutions fail their tests"; ok=0
fi

if [ $ok -eq 1 ]; then
  echo "verify-exercises: 4 exercises checked: every test fails on its stub and passes on its solution"
  exit 0
fi
echo "verify-exercises: FAILED" >&2
exit 1
