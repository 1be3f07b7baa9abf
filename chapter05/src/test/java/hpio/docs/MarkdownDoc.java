package hpio.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough Markdown for the doc check: fenced blocks (with the snippet marker
 * before them, if any), inline code spans and link targets, each with its line
 * number. Not a full parser: the docs keep to fences opened by three backticks
 * at the start of a line, and single-backtick code spans.
 */
final class MarkdownDoc {
    /** {@code <!-- snippet: chapter05/src/.../File.java#name -->} on the line before a fence. */
    static final Pattern SNIPPET_MARKER = Pattern.compile("^\\s*<!--\\s*snippet:\\s*(\\S+?)#([\\w-]+)\\s*-->\\s*$");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`\\n]+)`");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    /** A fenced block: {@code startLine} is the 1-based line of the opening fence. */
    record Fence(int startLine, String info, List<String> lines, String markerFile, String markerName) {
        boolean isJava() { return info.equals("java"); }

        /** A diagram: a fence with no info string. */
        boolean isDiagram() { return info.isEmpty(); }

        String text() { return String.join("\n", lines); }
    }

    /** Something found on one line: an inline code span's content or a link target. */
    record Found(int line, String text) {}

    final Path file;
    final String name;                      // as shown in messages: relative to the repository root
    final List<String> lines;
    final List<Fence> fences = new ArrayList<>();
    final List<Found> codeSpans = new ArrayList<>();
    final List<Found> links = new ArrayList<>();
    /** Lines outside fences, with their numbers (for free-text scans). */
    final List<Found> prose = new ArrayList<>();

    MarkdownDoc(Path root, Path file) {
        this.file = file;
        this.name = root.relativize(file).toString();
        try {
            this.lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        parse();
    }

    /**
     * A page that is not on disk, as if it were at {@code name} under {@code root}
     * (its links resolve from there): for the doc check's own tests.
     */
    MarkdownDoc(Path root, String name, List<String> lines) {
        this.file = root.resolve(name);
        this.name = name;
        this.lines = List.copyOf(lines);
        parse();
    }

    private void parse() {
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                String info = line.substring(3).trim();
                String markerFile = null, markerName = null;
                int before = i - 1;
                while (before >= 0 && lines.get(before).isBlank()) before--;
                if (before >= 0) {
                    Matcher m = SNIPPET_MARKER.matcher(lines.get(before));
                    if (m.matches()) {
                        markerFile = m.group(1);
                        markerName = m.group(2);
                    }
                }
                List<String> body = new ArrayList<>();
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).startsWith("```")) body.add(lines.get(j++));
                fences.add(new Fence(i + 1, info, body, markerFile, markerName));
                i = j + 1;
                continue;
            }
            prose.add(new Found(i + 1, line));
            Matcher span = CODE_SPAN.matcher(line);
            while (span.find()) codeSpans.add(new Found(i + 1, span.group(1).trim()));
            Matcher link = LINK.matcher(line);
            while (link.find()) links.add(new Found(i + 1, link.group(1)));
            i++;
        }
    }

    /** Every Markdown file the check covers: README.md and docs/**.md. */
    static List<MarkdownDoc> all(Path root) {
        List<MarkdownDoc> docs = new ArrayList<>();
        docs.add(new MarkdownDoc(root, root.resolve("README.md")));
        try (var walk = Files.walk(root.resolve("docs"))) {
            walk.filter(p -> p.toString().endsWith(".md")).sorted().forEach(p -> docs.add(new MarkdownDoc(root, p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /**
     * The repository root: surefire runs in chapter05/, so it is {@code ..}; from
     * elsewhere, the nearest directory up that holds the Makefile and docs/.
     */
    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("Makefile")) && Files.isDirectory(p.resolve("docs"))
                    && Files.isDirectory(p.resolve("chapter05"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the repository root (Makefile, docs/, chapter05/) above "
                + Path.of("").toAbsolutePath());
    }
}
