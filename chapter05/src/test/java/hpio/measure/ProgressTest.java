package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.measure.StressSettings.Scenario;
import org.junit.jupiter.api.Test;

/** What a long run says as each row starts: which row of how many, and roughly the time left. */
class ProgressTest {

    @Test
    void eachRowSaysWhereTheRunIsAndWhatIsLeft() {
        Progress p = new Progress(2, 5);                        // a row: 2 + 5 + 3 = 10 s; a 10k row 18 s
        for (int i = 0; i < 20; i++) p.plan(new Scenario(100, false));
        for (int i = 0; i < 4; i++) p.plan(new Scenario(9980, false, Scenario.Kind.MAX));
        assertThat(p.total()).isEqualTo(24);
        assertThat(p.starting(0)).isEqualTo("row 1 of 24, ~5 min left");     // 20 x 10 + 4 x 18 = 272 s
        for (int i = 0; i < 6; i++) p.finished();
        // Six rows guessed at 60 s took 120: the machine is twice as slow as guessed, so is the rest.
        assertThat(p.starting(120)).isEqualTo("row 7 of 24, ~7 min left");    // (14 x 10 + 72) x 2 = 424 s
        for (int i = 6; i < 23; i++) p.finished();
        assertThat(p.starting(230)).isEqualTo("row 24 of 24, ~20 s left");    // 18 x 230/254
    }

    @Test
    void timeLeftRoughly() {
        assertThat(Progress.rough(0)).isEqualTo("~10 s");
        assertThat(Progress.rough(44)).isEqualTo("~40 s");
        assertThat(Progress.rough(45)).isEqualTo("~50 s");
        assertThat(Progress.rough(89)).isEqualTo("~90 s");
        assertThat(Progress.rough(90)).isEqualTo("~2 min");
        assertThat(Progress.rough(200)).isEqualTo("~3 min");
    }
}
