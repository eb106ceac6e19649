import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;

/**
 * Runs Debezium connectors in one JVM for pgcdc's differential test
 * (tests/debezium_differential.rs, started by pgcdc-testkit's debezium module).
 *
 *   java DebeziumRunner MARKER LIMIT_SECONDS CONNECTOR.properties=OUT.jsonl...
 *
 * Each properties file configures one embedded engine: connector and engine keys go to
 * Debezium, key.converter.* / value.converter.* / header.converter.* configure the
 * JsonConverter and SimpleHeaderConverter the way a Kafka Connect worker does. Each record
 * becomes one line of OUT.jsonl:
 *   {"topic":..,"key":<key bytes>,"value":<value bytes>,"headers":[{"key":..,"value":..}]}
 * with the converters' bytes verbatim ("headers" only when there are some).
 *
 * A connector is done when it delivers the logical decoding message whose prefix is MARKER
 * (not written). The runner exits 0 when every connector is done, 1 when an engine fails or
 * LIMIT_SECONDS pass first, 3 when its standard input closes (the test process went away).
 */
public final class DebeziumRunner {

    private static final byte[] NULL = "null".getBytes(StandardCharsets.UTF_8);

    /** One engine, its converters and its output. */
    private static final class Connector {
        final String name;
        final Properties engineProps = new Properties();
        final JsonConverter keyConverter = new JsonConverter();
        final JsonConverter valueConverter = new JsonConverter();
        final SimpleHeaderConverter headerConverter = new SimpleHeaderConverter();
        final OutputStream out;
        final CountDownLatch sawMarker = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final CountDownLatch polling = new CountDownLatch(1);
        volatile String failure;
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

        Connector(String propsPath, String outPath) throws IOException {
            Properties all = new Properties();
            try (InputStream in = new FileInputStream(propsPath)) {
                all.load(in);
            }
            Map<String, String> keyConf = new HashMap<>();
            Map<String, String> valueConf = new HashMap<>();
            Map<String, String> headerConf = new HashMap<>();
            for (String k : all.stringPropertyNames()) {
                String v = all.getProperty(k);
                if (k.startsWith("key.converter.")) {
                    keyConf.put(k.substring("key.converter.".length()), v);
                }
                else if (k.startsWith("value.converter.")) {
                    valueConf.put(k.substring("value.converter.".length()), v);
                }
                else if (k.startsWith("header.converter.")) {
                    headerConf.put(k.substring("header.converter.".length()), v);
                }
                else {
                    engineProps.setProperty(k, v);
                }
            }
            name = engineProps.getProperty("name", propsPath);
            // Connectors with the same topic prefix in one JVM need their own metrics names.
            if (!engineProps.containsKey("custom.metric.tags")) {
                engineProps.setProperty("custom.metric.tags", "runner=" + name);
            }
            keyConverter.configure(keyConf, true);
            valueConverter.configure(valueConf, false);
            headerConverter.configure(headerConf);
            out = new BufferedOutputStream(new FileOutputStream(outPath), 1 << 16);
        }

        /** Whether the record is the marker message that ends the run. */
        boolean isMarker(SourceRecord r, String marker) {
            if (!(r.value() instanceof Struct)) {
                return false;
            }
            Struct value = (Struct) r.value();
            Field message = value.schema().field("message");
            if (message == null || !(value.get(message) instanceof Struct)) {
                return false;
            }
            return marker.equals(((Struct) value.get(message)).get("prefix"));
        }

        /** Converts a record as Kafka Connect's source task does: headers, then key, then value. */
        synchronized void write(SourceRecord r) throws IOException {
            String topic = r.topic();
            RecordHeaders kafkaHeaders = new RecordHeaders();
            StringBuilder headers = new StringBuilder();
            for (Header h : r.headers()) {
                byte[] bytes = headerConverter.fromConnectHeader(topic, h.key(), h.schema(), h.value());
                kafkaHeaders.add(h.key(), bytes);
                headers.append(headers.length() == 0 ? "" : ",");
                headers.append("{\"key\":").append(quote(h.key())).append(",\"value\":");
                headers.append(bytes == null ? "null" : quote(new String(bytes, StandardCharsets.UTF_8)));
                headers.append('}');
            }
            byte[] key = keyConverter.fromConnectData(topic, kafkaHeaders, r.keySchema(), r.key());
            byte[] value = valueConverter.fromConnectData(topic, kafkaHeaders, r.valueSchema(), r.value());
            out.write(("{\"topic\":" + quote(topic) + ",\"key\":").getBytes(StandardCharsets.UTF_8));
            out.write(key == null ? NULL : key);
            out.write(",\"value\":".getBytes(StandardCharsets.UTF_8));
            out.write(value == null ? NULL : value);
            if (headers.length() > 0) {
                out.write((",\"headers\":[" + headers + "]").getBytes(StandardCharsets.UTF_8));
            }
            out.write("}\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            }
            else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            }
            else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: DebeziumRunner MARKER LIMIT_SECONDS CONNECTOR.properties=OUT.jsonl...");
            System.exit(2);
        }
        final String marker = args[0];
        final long limitMs = Long.parseLong(args[1]) * 1000;

        // The test process keeps our standard input open; when it goes away, so do we.
        Thread orphan = new Thread(() -> {
            try (Reader in = new InputStreamReader(System.in, StandardCharsets.UTF_8)) {
                while (in.read() >= 0) {
                    // nothing is ever written; wait for the end of the stream
                }
            }
            catch (IOException e) {
                // treated as closed
            }
            System.err.println("[runner] standard input closed: exiting");
            Runtime.getRuntime().halt(3);
        }, "stdin-watch");
        orphan.setDaemon(true);
        orphan.start();

        List<Connector> connectors = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            connectors.add(new Connector(args[i].substring(0, eq), args[i].substring(eq + 1)));
        }

        ExecutorService pool = Executors.newFixedThreadPool(connectors.size());
        for (Connector c : connectors) {
            c.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(c.engineProps)
                    .using(new DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void pollingStarted() {
                            c.polling.countDown();
                        }
                    })
                    .using((success, message, error) -> {
                        if (!success && c.sawMarker.getCount() > 0) {
                            c.failure = message + (error == null ? "" : ": " + error);
                        }
                        c.stopped.countDown();
                    })
                    .notifying((batch, committer) -> {
                        for (RecordChangeEvent<SourceRecord> event : batch) {
                            SourceRecord r = event.record();
                            if (c.sawMarker.getCount() == 0) {
                                break;
                            }
                            if (c.isMarker(r, marker)) {
                                try {
                                    c.out.flush();
                                }
                                catch (IOException e) {
                                    throw new RuntimeException(e);
                                }
                                System.err.println("[runner] " + c.name + ": end marker reached");
                                c.sawMarker.countDown();
                                break;
                            }
                            try {
                                c.write(r);
                            }
                            catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                            committer.markProcessed(event);
                        }
                        committer.markBatchFinished();
                    })
                    .build();
            pool.execute(c.engine);
        }

        long deadline = System.currentTimeMillis() + limitMs;
        String problem = null;
        for (Connector c : connectors) {
            while (problem == null && !c.sawMarker.await(100, TimeUnit.MILLISECONDS)) {
                if (c.failure != null || c.stopped.getCount() == 0) {
                    problem = c.name + ": the engine stopped before the end marker: " + c.failure;
                }
                else if (System.currentTimeMillis() > deadline) {
                    problem = c.name + ": no end marker within " + args[1] + " s";
                }
            }
        }
        if (problem == null) {
            // Every record is written and flushed: no need to wait for the engines to stop.
            System.err.println("[runner] every connector reached the end marker");
            Runtime.getRuntime().halt(0);
        }
        for (Connector c : connectors) {
            try {
                c.engine.close();
            }
            catch (Exception e) {
                System.err.println("[runner] " + c.name + ": close failed: " + e);
            }
        }
        for (Connector c : connectors) {
            c.stopped.await(30, TimeUnit.SECONDS);
            synchronized (c) {
                c.out.close();
            }
        }
        System.err.println("[runner] " + problem);
        Runtime.getRuntime().halt(1);
    }
}
