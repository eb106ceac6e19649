import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Prints Java's Float.toString and Double.toString text of many values, one per line:
 * {@code f32<TAB>bits in hex<TAB>text} and {@code f64<TAB>bits in hex<TAB>text}. The text
 * depends on the Java release (17 and 18 print other digits than 19 and later), so run it on
 * the Java whose text pgcdc reproduces.
 *
 * <pre>
 *   java tests/support/java/FloatText.java golden &gt; tests/data/java17_float_text.tsv
 *   java tests/support/java/FloatText.java random COUNT SEED   (COUNT random bit patterns of each width)
 * </pre>
 *
 * The golden set is the values whose text is easiest to get wrong (powers of two and their
 * neighbours, subnormals, the limits, neighbours of powers of ten, integers near 2^24, 2^53 and
 * 2^63, short decimals) and 16,000 random bit patterns from a fixed seed.
 */
public class FloatText {
    public static void main(String[] args) throws IOException {
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        if (args.length == 1 && args[0].equals("golden")) {
            golden(out);
        } else if (args.length == 3 && args[0].equals("random")) {
            long count = Long.parseLong(args[1]);
            SplittableRandom random = new SplittableRandom(Long.parseLong(args[2]));
            for (long i = 0; i < count; i++) {
                f32(out, random.nextInt());
                f64(out, random.nextLong());
            }
        } else {
            System.err.println("usage: FloatText golden | FloatText random COUNT SEED");
            System.exit(2);
        }
        out.flush();
    }

    static void f32(Writer out, int bits) throws IOException {
        out.write(String.format("f32\t%08x\t%s\n", bits, Float.toString(Float.intBitsToFloat(bits))));
    }

    static void f64(Writer out, long bits) throws IOException {
        out.write(String.format("f64\t%016x\t%s\n", bits, Double.toString(Double.longBitsToDouble(bits))));
    }

    static void golden(Writer out) throws IOException {
        TreeSet<Integer> floats = new TreeSet<>();
        TreeSet<Long> doubles = new TreeSet<>();
        // Powers of two and their neighbours, normal and subnormal.
        for (int e = -149; e <= 127; e++) {
            float f = (float) Math.scalb(1.0, e);
            addFloat(floats, f, 2);
            addFloat(floats, f * 1.5f, 1);
        }
        for (int e = -1074; e <= 1023; e++) {
            double d = Math.scalb(1.0, e);
            addDouble(doubles, d, 1);
            addDouble(doubles, d * 1.5, 0);
        }
        // The first and last subnormals, the limits.
        for (int i = 1; i <= 300; i++) {
            floats.add(i);
            floats.add(0x007fffff - i + 1);
            doubles.add((long) i);
            doubles.add(0x000fffffffffffffL - i + 1);
        }
        addFloat(floats, Float.MIN_NORMAL, 3);
        addFloat(floats, Float.MAX_VALUE, 3);
        addDouble(doubles, Double.MIN_NORMAL, 3);
        addDouble(doubles, Double.MAX_VALUE, 3);
        // Neighbours of powers of ten, and of 1, 2, 5 and 9.99... times them.
        for (int k = -46; k <= 39; k++) {
            for (String m : new String[] {"1", "2", "5", "9.999999", "1.5", "3"}) {
                addFloat(floats, Float.parseFloat(m + "e" + k), 3);
            }
        }
        for (int k = -324; k <= 308; k++) {
            for (String m : new String[] {"1", "5", "9.999999999999999"}) {
                addDouble(doubles, Double.parseDouble(m + "e" + k), 2);
            }
        }
        // Integers near 2^24, 2^53, 2^62, 2^63 and 2^64, and small integers.
        for (int i = -40; i <= 40; i++) {
            addFloat(floats, (float) ((1 << 24) + i), 0);
            addFloat(floats, (float) Math.scalb(1.0, 31) + i * 256.0f, 0);
            addDouble(doubles, (double) ((1L << 53) + i), 0);
            addDouble(doubles, Math.scalb(1.0, 62) + i * 1024.0, 0);
            addDouble(doubles, Math.scalb(1.0, 63) + i * 2048.0, 0);
            addDouble(doubles, Math.scalb(1.0, 64) + i * 4096.0, 0);
        }
        for (int i = 1; i <= 2000; i++) {
            addFloat(floats, (float) i, 0);
            addDouble(doubles, (double) i, 0);
        }
        // Short decimals as databases hold them, at every scale.
        for (int k = -12; k <= 12; k++) {
            for (int i = 1; i <= 120; i++) {
                String text = i + "e" + k;
                addFloat(floats, Float.parseFloat(text), 0);
                addDouble(doubles, Double.parseDouble(text), 0);
                addDouble(doubles, (double) Float.parseFloat(text), 0);
            }
        }
        // Values known to print differently across Java releases.
        for (float f : new float[] {1.5e10f, 123456789f, 1.17549435e-38f, 1.0E-5f, 2.0E-3f, 8.41E21f,
                2.82879384806159E17f, 1.00014165E-36f, 2.0E-45f, 7.0E-45f, 9.2E-44f, 1.0E23f}) {
            addFloat(floats, f, 1);
        }
        for (double d : new double[] {2.0E-3, 1.0E23, 2.0E23, 8.41E21, 5.0E-324, 2.0E-323, 9.2233720368547758E18,
                4.611686018427387904E18, 1.0E-5, 2.82879384806159E17, 1.387364135037754E18,
                1.0E22, 5.0E22, 1.23456789012345678E8, 0.1, 0.2, 0.3, 1.0E7, 9999999.0, 0.001,
                1.0E-4, 2.2250738585072012E-308, 4.9E-324 * 3}) {
            addDouble(doubles, d, 1);
        }
        // Random bit patterns (a fixed seed: the file is reproducible).
        SplittableRandom random = new SplittableRandom(20_221_117L);
        for (int i = 0; i < 8_000; i++) {
            floats.add(random.nextInt() & 0x7fffffff);
            doubles.add(random.nextLong() & 0x7fffffffffffffffL);
        }
        // Finite values only, with a few negative ones (the sign is only a prefix).
        out.write("# Float.toString / Double.toString on Java 17 (" + System.getProperty("java.version") + "):"
                + " kind, bits in hex, text.\n");
        out.write("# Regenerate: java tests/support/java/FloatText.java golden > tests/data/java17_float_text.tsv\n");
        int n = 0;
        for (int bits : floats) {
            if (!Float.isFinite(Float.intBitsToFloat(bits)) || bits < 0) {
                continue;
            }
            f32(out, (n++ % 17 == 0) ? bits | 0x80000000 : bits);
        }
        for (long bits : doubles) {
            if (!Double.isFinite(Double.longBitsToDouble(bits)) || bits < 0) {
                continue;
            }
            f64(out, (n++ % 17 == 0) ? bits | 0x8000000000000000L : bits);
        }
    }

    /** Adds |f| and its `around` neighbours on either side. */
    static void addFloat(TreeSet<Integer> set, float f, int around) {
        int bits = Float.floatToIntBits(Math.abs(f));
        for (int i = -around; i <= around; i++) {
            int b = bits + i;
            if (b > 0 && b < 0x7f800000) {
                set.add(b);
            }
        }
    }

    static void addDouble(TreeSet<Long> set, double d, int around) {
        long bits = Double.doubleToLongBits(Math.abs(d));
        for (int i = -around; i <= around; i++) {
            long b = bits + i;
            if (b > 0 && b < 0x7ff0000000000000L) {
                set.add(b);
            }
        }
    }
}
