package hpio.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Snippets cut from source. A region of a source file is marked with two comment
 * lines, {@code // snippet-start NAME} and {@code // snippet-end NAME}; a doc shows
 * it by putting {@code <!-- snippet: path/to/File.java#NAME -->} on the line before
 * a {@code ```java} fence. The fence must hold the region's lines with their common
 * indentation removed (marker lines of other regions inside are left out).
 *
 * <p>After changing marked source, refresh every doc at once:
 * {@code chapter05/scripts/snippets.sh --update} (runs {@link #main}).
 */
final class DocSnippets {
    private DocSnippets() {}

    /** The region's text, or throws IllegalArgumentException saying what is missing. */
    static List<String> region(Path root, String file, String name) throws IOException {
        Path source = root.resolve(file);
        if (!Files.isRegularFile(source)) throw new IllegalArgumentException("no such file " + file);
        List<String> lines = Files.readAllLines(source);
        int start = -1, end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).trim();
            if (t.equals("// snippet-start " + name)) {
                if (start >= 0) throw new IllegalArgumentException(file + " has two '// snippet-start " + name + "' lines");
                start = i;
            } else if (t.equals("// snippet-end " + name) && start >= 0 && end < 0) {
                end = i;
            }
        }
        if (start < 0) throw new IllegalArgumentException(file + " has no line '// snippet-start " + name + "'");
        if (end < 0) throw new IllegalArgumentException(file + " has no line '// snippet-end " + name + "' after its start");
        List<String> body = new ArrayList<>();
        for (String l : lines.subList(start + 1, end)) {
            String t = l.trim();
            if (t.startsWith("// snippet-start ") || t.startsWith("// snippet-end ")) continue;
            body.add(l.stripTrailing());
        }
        return dedent(body);
    }

    static List<String> dedent(List<String> body) {
        int indent = Integer.MAX_VALUE;
        for (String l : body) {
            if (l.isBlank()) continue;
            int n = 0;
            while (n < l.length() && l.charAt(n) == ' ') n++;
            indent = Math.min(indent, n);
        }
        List<String> out = new ArrayList<>();
        for (String l : body) out.add(l.isBlank() ? "" : l.substring(indent == Integer.MAX_VALUE ? 0 : indent));
        return out;
    }

    static List<String> normalise(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines) out.add(l.stripTrailing());
        return out;
    }

    /** {@code --update}: rewrites every marked fence in docs/ and README.md from its source region. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1 || !args[0].equals("--update")) {
            System.err.println("usage: snippets.sh --update   (rewrites each marked java fence in docs/ from its source region)");
            System.exit(2);
        }
        Path root = MarkdownDoc.repositoryRoot();
        int changed = 0, problems = 0;
        for (MarkdownDoc doc : MarkdownDoc.all(root)) {
            List<String> lines = new ArrayList<>(doc.lines);
            boolean dirty = false;
            // From the end, so earlier line numbers stay valid while fences change length.
            for (int f = doc.fences.size() - 1; f >= 0; f--) {
                MarkdownDoc.Fence fence = doc.fences.get(f);
                if (fence.markerFile() == null) continue;
                List<String> region;
                try {
                    region = region(root, fence.markerFile(), fence.markerName());
                } catch (IllegalArgumentException e) {
                    System.err.println(doc.name + ":" + fence.startLine() + ": " + e.getMessage());
                    problems++;
                    continue;
                }
                if (normalise(fence.lines()).equals(region)) continue;
                int from = fence.startLine();                 // first body line, 0-based
                for (int k = 0; k < fence.lines().size(); k++) lines.remove(from);
                lines.addAll(from, region);
                dirty = true;
                changed++;
                System.out.println(doc.name + ":" + fence.startLine() + ": updated from "
                        + fence.markerFile() + "#" + fence.markerName());
            }
            if (dirty) Files.write(doc.file, lines);
        }
        System.out.println(changed + " snippet(s) updated" + (problems > 0 ? ", " + problems + " problem(s) above" : ""));
        System.exit(problems > 0 ? 1 : 0);
    }
}
