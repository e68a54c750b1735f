package dev.tfkit.bench;

import com.google.protobuf.ByteString;
import dev.tfkit.graph.ModelGraph;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Freeze + extract on a synthetic graph (about 10k nodes, large variables) beside a plain copy of
 * a file holding the same number of bytes, measured in the same run; prints times, the ratio and
 * peak heap growth. Run: {@code java -Xmx6g -cp ... dev.tfkit.bench.GraphSurgeryBench [MB] [nodes] [reps]}.
 */
public final class GraphSurgeryBench {
  private static final AttrValue FLOAT = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();

  public static void main(String[] args) throws Exception {
    int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int variables = 64;
    int floatsPerVar = (int) ((long) megabytes * 1024 * 1024 / 4 / variables);
    Map<String, TensorProto> values = new LinkedHashMap<>();
    GraphDef graph = build(variables, floatsPerVar, nodes, values);
    long varBytes = (long) variables * floatsPerVar * 4;
    Path dir = Files.createTempDirectory("tfkit-bench-graph");
    Path src = dir.resolve("bytes.bin");
    Path dst = dir.resolve("copy.bin");
    try (OutputStream out = Files.newOutputStream(src)) {
      for (TensorProto t : values.values()) t.getTensorContent().writeTo(out);
    }
    System.out.printf("synthetic graph: %d nodes, %d variables, %.0f MiB of variables; %d repetitions%n",
        graph.getNodeCount(), variables, varBytes / 1048576.0, reps);
    try (ModelGraph g = ModelGraph.of(graph, values)) {
      long[] copy = new long[reps];
      long[] surgery = new long[reps];
      long[] surgeryWrite = new long[reps];
      long[] heapWrite = new long[reps];
      long peak = 0;
      int keptNodes = 0;
      for (int r = -1; r < reps; r++) { // r = -1 warms up
        Files.deleteIfExists(dst);
        long t0 = System.nanoTime();
        Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
        long t1 = System.nanoTime();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("heap.bin")), 1 << 20)) {
          for (TensorProto t : values.values()) t.getTensorContent().writeTo(out);
        }
        long t1b = System.nanoTime();
        Files.delete(dir.resolve("heap.bin"));
        System.gc();
        long base = heapUsed();
        resetPeaks();
        long t2 = System.nanoTime();
        ModelGraph f = g.freeze();
        ModelGraph e = f.extractSubGraph("out");
        long t3 = System.nanoTime();
        peak = Math.max(peak, heapPeak() - base);
        e.writeGraphDef(dir.resolve("frozen.pb"));
        long t4 = System.nanoTime();
        keptNodes = e.graphDef().getNodeCount();
        e.close();
        f.close();
        if (r >= 0) {
          copy[r] = t1 - t0;
          heapWrite[r] = t1b - t1;
          surgery[r] = t3 - t2;
          surgeryWrite[r] = t4 - t2;
        }
      }
      double c = median(copy) / 1e6;
      double s = median(surgery) / 1e6;
      double sw = median(surgeryWrite) / 1e6;
      System.out.printf("extracted graph: %d nodes%n", keptNodes);
      System.out.printf("plain file copy of the same bytes: %8.1f ms (median)%n", c);
      double hw = median(heapWrite) / 1e6;
      System.out.printf("plain write of the same bytes from the heap: %8.1f ms (median)%n", hw);
      System.out.printf("freeze + extract (in memory):      %8.1f ms  ratio %.2fx%n", s, s / c);
      System.out.printf("freeze + extract + write .pb:      %8.1f ms  ratio %.2fx (vs heap write %.2fx)%n", sw, sw / c, sw / hw);
      System.out.printf("peak heap growth during freeze + extract: %.1f MiB (graph %.0f MiB, largest tensor %.1f MiB)%n",
          peak / 1048576.0, varBytes / 1048576.0, floatsPerVar * 4 / 1048576.0);
    } finally {
      for (Path p : List.of(src, dst, dir.resolve("frozen.pb"))) Files.deleteIfExists(p);
      Files.deleteIfExists(dir);
    }
  }

  /**
   * Variables v0..vN (VariableV2 + Fill initializer + Assign + Identity read), each summed into a
   * chain of Add nodes ending at "out"; half as many nodes again hang off a dead branch that
   * extract must drop.
   */
  static GraphDef build(int variables, int floatsPerVar, int nodes, Map<String, TensorProto> values) {
    GraphDef.Builder g = GraphDef.newBuilder();
    TensorShapeProto shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(floatsPerVar)).build();
    g.addNode(NodeDef.newBuilder().setName("x").setOp("Placeholder").putAttr("dtype", FLOAT)
        .putAttr("shape", AttrValue.newBuilder().setShape(TensorShapeProto.getDefaultInstance()).build()));
    g.addNode(constInt("axis", 0));
    g.addNode(constInt("dims", floatsPerVar));
    g.addNode(NodeDef.newBuilder().setName("zero").setOp("Const").putAttr("dtype", FLOAT)
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).addFloatVal(0f)).build()));
    byte[] content = new byte[floatsPerVar * 4];
    for (int v = 0; v < variables; v++) {
      String name = "layer" + v + "/w";
      Arrays.fill(content, (byte) v);
      values.put(name, TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape)
          .setTensorContent(ByteString.copyFrom(content)).build());
      g.addNode(NodeDef.newBuilder().setName(name).setOp("VariableV2").putAttr("dtype", FLOAT)
          .putAttr("shape", AttrValue.newBuilder().setShape(shape).build()));
      g.addNode(NodeDef.newBuilder().setName(name + "/init").setOp("Fill").addInput("dims").addInput("zero").putAttr("T", FLOAT)
          .putAttr("index_type", AttrValue.newBuilder().setType(DataType.DT_INT32).build()));
      g.addNode(NodeDef.newBuilder().setName(name + "/Assign").setOp("Assign").addInput(name).addInput(name + "/init").putAttr("T", FLOAT));
      g.addNode(NodeDef.newBuilder().setName(name + "/read").setOp("Identity").addInput(name).putAttr("T", FLOAT));
      g.addNode(NodeDef.newBuilder().setName("layer" + v + "/sum").setOp("Sum").addInput(name + "/read").addInput("axis").putAttr("T", FLOAT)
          .putAttr("Tidx", AttrValue.newBuilder().setType(DataType.DT_INT32).build()));
    }
    int live = nodes * 2 / 3;
    String prev = "x";
    for (int i = 0; i < live; i++) {
      String n = i == live - 1 ? "out" : "chain/add" + i;
      g.addNode(NodeDef.newBuilder().setName(n).setOp("Add").addInput(prev).addInput("layer" + (i % variables) + "/sum").putAttr("T", FLOAT));
      prev = n;
    }
    String dead = "x";
    while (g.getNodeCount() < nodes) {
      String n = "dead/mul" + g.getNodeCount();
      g.addNode(NodeDef.newBuilder().setName(n).setOp("Mul").addInput(dead).addInput("layer0/sum").putAttr("T", FLOAT));
      dead = n;
    }
    return g.build();
  }

  private static NodeDef constInt(String name, int v) {
    AttrValue i32 = AttrValue.newBuilder().setType(DataType.DT_INT32).build();
    return NodeDef.newBuilder().setName(name).setOp("Const").putAttr("dtype", i32)
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_INT32)
            .setTensorShape(name.equals("dims") ? TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)).build()
                : TensorShapeProto.getDefaultInstance()).addIntVal(v)).build()).build();
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  private static List<MemoryPoolMXBean> heapPools() {
    List<MemoryPoolMXBean> l = new ArrayList<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) l.add(p);
    return l;
  }

  private static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean p : heapPools()) p.resetPeakUsage();
  }

  private static long heapPeak() {
    long sum = 0;
    for (MemoryPoolMXBean p : heapPools()) sum += p.getPeakUsage().getUsed();
    return sum;
  }
}
