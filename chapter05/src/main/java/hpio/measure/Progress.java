package hpio.measure;

import hpio.measure.StressSettings.Scenario;
import java.util.ArrayList;
import java.util.List;

/**
 * What a long run says as each row starts: "row 7 of 24, ~3 min left". The time
 * left is the rows still to come, each at a guess by its kind (a 10k row opens
 * its thousands of connections twice, for the warm-up and the measured run),
 * scaled by how the rows so far compared with their guesses on this machine.
 */
final class Progress {
    private final int warmup, duration;
    private final List<Scenario> planned = new ArrayList<>();
    private int done;
    private long guessedDone;

    Progress(int warmupSeconds, int durationSeconds) {
        this.warmup = warmupSeconds;
        this.duration = durationSeconds;
    }

    /** One more row to measure, in the order they will run. */
    void plan(Scenario s) {
        planned.add(s);
    }

    int total() { return planned.size(); }

    /**
     * A row's seconds before it runs: its warm-up and measured seconds, plus
     * starting and stopping the proxy (about 3 s); a 10k row about 8 s more
     * (10,000 connects and closes, twice).
     */
    long guess(Scenario s) {
        long base = warmup + duration + 3;
        return s.kind() == Scenario.Kind.MAX ? base + 8 : base;
    }

    /** "row 7 of 24, ~3 min left", for the next row, {@code elapsedSeconds} after the first started. */
    String starting(long elapsedSeconds) {
        return "row " + (done + 1) + " of " + total() + ", " + left(elapsedSeconds) + " left";
    }

    /** The previous {@link #starting} row is done. */
    void finished() {
        guessedDone += guess(planned.get(done));
        done++;
    }

    /** The time left, roughly, as "~3 min" or "~40 s". */
    String left(long elapsedSeconds) {
        long guessedLeft = 0;
        for (int i = done; i < planned.size(); i++) guessedLeft += guess(planned.get(i));
        double pace = done == 0 || guessedDone == 0 ? 1 : (double) elapsedSeconds / guessedDone;
        return rough(Math.round(guessedLeft * pace));
    }

    /** Seconds roughly: "~40 s" (to 10 s) under 90 s, else "~3 min" (to the minute). */
    static String rough(long seconds) {
        if (seconds < 90) return "~" + Math.max(10, (seconds + 5) / 10 * 10) + " s";
        return "~" + (seconds + 30) / 60 + " min";
    }
}
