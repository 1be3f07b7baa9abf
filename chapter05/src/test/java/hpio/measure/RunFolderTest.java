package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** results/<timestamp>-stress/: one folder per run, its layout, and results/ kept out of git. */
class RunFolderTest {

    private static final ZonedDateTime T = ZonedDateTime.of(2026, 12, 1, 7, 11, 18, 0, ZoneOffset.UTC);

    @Test
    void oneFolderPerRunNamedByItsStart(@TempDir Path dir) {
        Path results = dir.resolve("results");
        Path out = RunFolder.create(results, T);
        assertThat(out).isEqualTo(results.resolve("20261201-071118-stress"));
        assertThat(out.resolve("logs")).isDirectory();
        assertThat(out.resolve("conf")).isDirectory();
        // A second run in the same second gets a folder of its own.
        assertThat(RunFolder.create(results, T)).isEqualTo(results.resolve("20261201-071118-stress-2"));
    }

    @Test
    void resultsKeepsItsRunsOutOfGit(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("results");
        RunFolder.create(results, T);
        assertThat(Files.readString(results.resolve(".gitignore"))).contains("\n*\n!.gitignore\n");
        // One already there (the repository's) is left as it is.
        Files.writeString(results.resolve(".gitignore"), "mine\n");
        RunFolder.create(results, T.plusSeconds(1));
        assertThat(Files.readString(results.resolve(".gitignore"))).isEqualTo("mine\n");
    }

    @Test
    void theRepositorysResultsIgnoreIsTheOneTheRunnerWrites() throws IOException {
        // Tests run in chapter05/; the repository's root is one up.
        assertThat(Files.readString(Path.of("../results/.gitignore"))).isEqualTo(RunFolder.GITIGNORE);
    }
}
