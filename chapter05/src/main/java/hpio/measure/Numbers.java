package hpio.measure;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * How {@code make stress} writes its numbers. Fixed decimals round the exact
 * binary value half-to-even, as C's printf does, so a figure reads the same in
 * the table, the Markdown and the CSV, and the same as the shell version of this
 * harness wrote it ({@code String.format} rounds half-up on the shortest decimal,
 * which differs on a tie such as 0.125).
 */
final class Numbers {
    private Numbers() {}

    /** {@code printf("%.<digits>f", v)}. */
    static String fixed(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return String.valueOf(v);
        String s = new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
        return s.startsWith("-") && s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }

    /** A latency in ms for a person: two decimals under 10 ms, one from there. */
    static String millis(double ms) {
        return fixed(ms, ms < 10 ? 2 : 1);
    }

    /** A table cell of milliseconds: "-" stays "-". */
    static String millisCell(String ms) {
        Double v = parse(ms);
        return v == null ? ms : millis(v);
    }

    /** A whole number with thousands separators (136,643); anything else as it is. */
    static String group(String n) {
        if (!n.matches("[0-9]+")) return n;
        StringBuilder s = new StringBuilder(n);
        for (int i = s.length() - 3; i > 0; i -= 3) s.insert(i, ',');
        return s.toString();
    }

    static String group(long n) {
        return group(Long.toString(n));
    }

    /** Minutes and seconds, as 3m07s. */
    static String minutesSeconds(long seconds) {
        return (seconds / 60) + "m" + (seconds % 60 < 10 ? "0" : "") + (seconds % 60) + "s";
    }

    /** A measured value, or null for "-", "" or anything that is not a number. */
    static Double parse(String v) {
        if (v == null || v.isEmpty() || v.equals("-")) return null;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
