package hpio.measure;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.AttributedCharacterIterator;
import java.text.AttributedString;
import java.text.CharacterIterator;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.LogTick;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.Tick;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * Charts as SVG files, for the pages and results of {@code make stress} and
 * {@code make bench}: JFreeChart draws, JFreeSVG's Graphics2D writes what it
 * draws as SVG (text stays text, so a page can be searched and a test can read
 * it). Two kinds, generic: grouped bars (a figure per row, grouped by scenario)
 * and lines on log scales on both axes (a cost against a count, where O(n)
 * climbs a decade per decade and O(1) stays flat).
 *
 * <p>Only {@code make stress} and {@code make bench} use this class; the balancer
 * never does, so it never loads AWT or JFreeChart (its start-up footprint is
 * measured by StartupFootprintTest).
 */
public final class Charts {
    private Charts() {}

    static {
        // No window is ever opened: on macOS a non-headless AWT would put an icon in the Dock
        // for the length of a stress run. Set before the first AWT class is touched.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        // JFreeChart draws rotated text (the value axis's label, the bars' values) through a
        // TextLayout, which reaches the SVG as glyph outlines: unsearchable, and ten times the size.
        // Without the workaround (for old JDKs' rotated drawString) it stays <text>.
        TextUtils.setUseDrawRotatedStringWorkaround(false);
    }

    static final int WIDTH = 900, HEIGHT = 520;
    private static final Color GRID = new Color(200, 200, 200), MINOR_GRID = new Color(232, 232, 232);
    /**
     * Colours that stay apart on white and in print (JFreeChart's default sequence
     * has a pale yellow); a series keeps its colour across the charts of one run,
     * since the rows come in the same order.
     */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0x17becf), new Color(0xbcbd22)};
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 10);

    /**
     * One bar: the group it stands in on the axis (a scenario), its series (a row:
     * one colour and one legend entry across groups), its value, null when not
     * measured (the group keeps the slot, so colours line up).
     */
    public record Bar(String group, String series, Double value) {}

    /** One point of a line: x and y, both above zero (log scales). */
    public record Point(double x, double y) {}

    /** One line of a log-log chart: its name in the legend and its points. */
    public record Series(String name, List<Point> points) {}

    /**
     * Grouped vertical bars, each labelled with its value, written to {@code file}.
     *
     * @param valueAxis the label of the value axis, with its unit ("req/s", "p99, ms")
     */
    public static void bars(Path file, String title, String valueAxis, List<Bar> bars) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Bar b : bars) data.addValue(b.value(), b.series(), b.group());
        JFreeChart chart = ChartFactory.createBarChart(title, null, valueAxis, data, PlotOrientation.VERTICAL,
                true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plain(chart);
        plot.setRangeGridlinePaint(GRID);
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        CategoryAxis groups = plot.getDomainAxis();
        groups.setCategoryMargin(0.15);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());     // flat, not JFreeChart's gradient
        renderer.setShadowVisible(false);
        for (int i = 0; i < data.getRowCount(); i++) renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        renderer.setItemMargin(0.02);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new AsInTheTable()));
        renderer.setDefaultItemLabelFont(LABEL_FONT);
        renderer.setDefaultItemLabelsVisible(true);
        // Values written upwards along the bar's top, so that eight bars side by side stay legible.
        renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12,
                TextAnchor.CENTER_LEFT, TextAnchor.CENTER_LEFT, -Math.PI / 2));
        NumberAxis values = (NumberAxis) plot.getRangeAxis();
        values.setNumberFormatOverride(numbers());
        values.setUpperMargin(0.15);                          // room for the upright labels
        write(file, chart);
    }

    /**
     * Lines with a marker per point, log scales on both axes with a tick per
     * decade (10, 100, 1,000...), written to {@code file}.
     */
    public static void logLog(Path file, String title, String xAxis, String yAxis, List<Series> series)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries line = new XYSeries(s.name());
            for (Point p : s.points()) {
                if (p.x() > 0 && p.y() > 0) line.add(p.x(), p.y());
            }
            data.addSeries(line);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, data, PlotOrientation.VERTICAL,
                true, false, false);
        plain(chart);
        XYPlot plot = chart.getXYPlot();
        // A solid line per decade, a fainter one at 2..9 x 10^k: the slope can be read against them.
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setDomainMinorGridlinesVisible(true);
        plot.setRangeMinorGridlinesVisible(true);
        plot.setDomainMinorGridlinePaint(MINOR_GRID);
        plot.setRangeMinorGridlinePaint(MINOR_GRID);
        plot.setDomainMinorGridlineStroke(new BasicStroke(0.5f));
        plot.setRangeMinorGridlineStroke(new BasicStroke(0.5f));
        plot.setDomainAxis(decades(xAxis));
        plot.setRangeAxis(decades(yAxis));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(renderer);
        write(file, chart);
    }

    /**
     * A log axis with a labelled tick per decade (10, 100, 1,000...). LogAxis gives
     * its labels as attributed strings, which JFreeChart draws through a TextLayout
     * and so reach the SVG as glyph outlines; here each becomes a plain text tick,
     * drawn as {@code <text>}.
     */
    private static LogAxis decades(String label) {
        LogAxis axis = new LogAxis(label) {
            @Override
            @SuppressWarnings("rawtypes")
            public List refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
                List<Tick> ticks = new ArrayList<>();
                for (Object o : super.refreshTicks(g2, state, dataArea, edge)) {
                    LogTick t = (LogTick) o;
                    ticks.add(new NumberTick(t.getTickType(), t.getValue(), text(t.getAttributedLabel()),
                            t.getTextAnchor(), t.getRotationAnchor(), t.getAngle()));
                }
                return ticks;
            }
        };
        axis.setNumberFormatOverride(numbers());              // 1,000 rather than 10^3: read by students
        axis.setTickUnit(new NumberTickUnit(1), false, true);  // one tick per decade (the unit is in log10)
        axis.setMinorTickMarksVisible(true);
        return axis;
    }

    private static String text(AttributedString s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        AttributedCharacterIterator it = s.getIterator();
        for (char c = it.first(); c != CharacterIterator.DONE; c = it.next()) b.append(c);
        return b.toString();
    }

    /** White, no border, the title a little smaller than JFreeChart's 18 pt bold. */
    private static void plain(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(Color.WHITE);
        chart.getPlot().setOutlinePaint(Color.GRAY);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    }

    /** 12,345 and 3.3, whatever the machine's locale. */
    private static DecimalFormat numbers() {
        return new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }

    /**
     * A bar's value as the tables write it: a whole number grouped (68,842), else two
     * decimals under 10 and one from there (3.32, 47.5, 727.6), as Numbers.millis.
     */
    private static final class AsInTheTable extends NumberFormat {
        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            String pattern = v == Math.rint(v) ? "#,##0" : Math.abs(v) < 10 ? "#,##0.00" : "#,##0.0";
            return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v, to, pos);
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
            return format((double) v, to, pos);
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            throw new UnsupportedOperationException("labels are only written");
        }
    }

    private static void write(Path file, JFreeChart chart) throws IOException {
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        // Not getSVGDocument(): its DOCTYPE names the SVG 1.1 DTD on the web, which a validating
        // reader would fetch; browsers and Markdown viewers need only the svg element.
        Files.writeString(file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + g.getSVGElement() + "\n");
    }
}
