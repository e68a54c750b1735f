package dev.tfkit.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.tfkit.tensor.HalfFloats;
import dev.tfkit.tensor.NativeLimits;
import dev.tfkit.tensor.TensorValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Reads a TensorFlow.js graph model ({@code model.json} plus weight shards) into a plain
 * TensorFlow GraphDef: the JSON topology is parsed as a GraphDef, every weight (float32, int32,
 * bool, float16, or uint8/uint16-quantized with scale and min) becomes the value of its Const node,
 * TF.js-only ops are rewritten by {@link TfjsOps}, and attrs the runtime requires but the converter
 * left out (such as {@code TArgs}) are filled by {@link RequiredAttrs}.
 */
final class TfjsGraphModel {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The converted graph and the model's signature (when model.json has one). */
  record Loaded(GraphDef graph, Map<String, SignatureDef> signatures) {}

  private TfjsGraphModel() {}

  static boolean looksLikeTfjs(Path json) {
    try {
      byte[] head = readHead(json, 4096);
      String s = new String(head, StandardCharsets.UTF_8);
      return s.contains("\"modelTopology\"") || s.contains("\"weightsManifest\"") || s.contains("\"format\"");
    } catch (IOException e) {
      return false;
    }
  }

  static Loaded load(Path modelJson) {
    String src = modelJson.toString();
    JsonNode root;
    try {
      root = JSON.readTree(modelJson.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(src + ": not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + src, e);
    }
    if (root == null || !root.isObject()) throw new IllegalArgumentException(src + ": not a TF.js model (no JSON object)");
    String format = root.path("format").asText("");
    JsonNode topo = root.get("modelTopology");
    if (topo == null) throw new IllegalArgumentException(src + ": not a TF.js model (no modelTopology)");
    if (format.equals("layers-model") || topo.has("model_config") || topo.has("class_name")) {
      Path dir = modelJson.toAbsolutePath().getParent();
      throw new IllegalArgumentException(src + ": a TF.js layers model (a Keras topology with its weights"
          + (format.isEmpty() ? "" : ", format '" + format + "'") + "), which tfkit does not load; tfkit loads TF.js"
          + " graph models: convert it with `tensorflowjs_converter --input_format=tfjs_layers_model"
          + " --output_format=tfjs_graph_model " + modelJson + " " + dir.resolve("graph_model")
          + "` (pip package tensorflowjs) and load " + dir.resolve("graph_model").resolve("model.json"));
    }
    if (!topo.has("node")) throw new IllegalArgumentException(src + ": modelTopology has no 'node' list (not a TF.js graph model)");
    GraphDef.Builder gb = GraphDef.newBuilder();
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(JSON.writeValueAsString(topo), gb);
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalArgumentException(src + ": modelTopology is not a GraphDef in JSON: " + e.getMessage());
    }
    Map<String, Integer> nodeIndex = new HashMap<>();
    for (int i = 0; i < gb.getNodeCount(); i++) nodeIndex.put(gb.getNode(i).getName(), i);
    JsonNode manifest = root.path("weightsManifest");
    Path dir = modelJson.toAbsolutePath().getParent();
    Set<String> filled = new HashSet<>();
    for (JsonNode group : manifest) {
      byte[] data = readGroup(dir, group, src);
      int offset = 0;
      for (JsonNode w : group.path("weights")) {
        String name = w.path("name").asText();
        long[] shape = new long[w.path("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = w.path("shape").get(i).asLong();
        long count = NativeLimits.checkShape(shape, src + ": weight '" + name + "'");
        String dtype = w.path("dtype").asText("float32");
        JsonNode q = w.get("quantization");
        String stored = q != null && q.hasNonNull("dtype") ? q.get("dtype").asText() : dtype;
        int storedSize = switch (stored) {
          case "float32", "int32" -> 4;
          case "float16", "uint16", "int16" -> 2;
          case "uint8", "int8", "bool" -> 1;
          default -> throw new IllegalArgumentException(src + ": weight '" + name + "' has unsupported dtype '" + stored + "'");
        };
        // A count beyond any weight file saturates instead of overflowing past the check below.
        long bytes = count > Integer.MAX_VALUE ? Long.MAX_VALUE / 2 : count * storedSize;
        if (offset + bytes > data.length) {
          throw new IllegalArgumentException(src + ": weight '" + name + "' needs bytes " + offset + ".." + (offset + bytes)
              + " but the weight files of its group hold only " + data.length + " (truncated shard?)");
        }
        TensorProto value = decode(data, offset, (int) count, dtype, stored, q, shape, name, src);
        offset += (int) bytes;
        Integer idx = nodeIndex.get(name);
        if (idx == null) continue; // a weight no node uses: harmless
        NodeDef.Builder nb = gb.getNodeBuilder(idx);
        value = asDeclared(value, nb, src);
        nb.putAttr("value", AttrValue.newBuilder().setTensor(value).build());
        nb.putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build());
        filled.add(name);
      }
      if (offset != data.length) {
        throw new IllegalArgumentException(src + ": weight files " + group.path("paths") + " hold " + data.length
            + " bytes but the manifest describes " + offset);
      }
    }
    for (NodeDef n : gb.getNodeList()) {
      if (n.getOp().equals("Const") && !filled.contains(n.getName()) && !hasData(n.getAttrOrDefault("value", AttrValue.getDefaultInstance()))) {
        throw new IllegalArgumentException(src + ": Const node '" + n.getName() + "' has no value and no weight in weightsManifest");
      }
      // TF.js graphs carry device pins like /device:CPU:0 from the converter's machine; they mean nothing here.
    }
    for (int i = 0; i < gb.getNodeCount(); i++) gb.getNodeBuilder(i).clearDevice();
    GraphDef g = gb.build();
    if (TfjsOps.needsRewrite(g)) g = TfjsOps.expand(g, src);
    g = RequiredAttrs.fill(g, src);
    return new Loaded(g, signatures(root, g, src));
  }

  private static Map<String, SignatureDef> signatures(JsonNode root, GraphDef g, String src) {
    JsonNode sig = root.path("signature");
    if (!sig.isObject()) sig = root.path("userDefinedMetadata").path("signature");
    if (!sig.isObject() || (!sig.has("inputs") && !sig.has("outputs"))) return Map.of();
    SignatureDef.Builder sb = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
    for (String side : List.of("inputs", "outputs")) {
      Iterator<Map.Entry<String, JsonNode>> it = sig.path(side).fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        TensorInfo.Builder ti = TensorInfo.newBuilder();
        try {
          JsonFormat.parser().ignoringUnknownFields().merge(JSON.writeValueAsString(e.getValue()), ti);
        } catch (InvalidProtocolBufferException | JsonProcessingException ex) {
          throw new IllegalArgumentException(src + ": signature " + side + " '" + e.getKey() + "' is not a TensorInfo: " + ex.getMessage());
        }
        if (ti.getName().isEmpty()) ti.setName(e.getKey());
        ti.setName(TensorName.parse(ti.getName()).toString());
        String key = TensorName.parse(e.getKey()).node().replaceAll("[^A-Za-z0-9_]", "_");
        if (side.equals("inputs")) sb.putInputs(key, ti.build());
        else sb.putOutputs(key, ti.build());
      }
    }
    if (sb.getInputsCount() == 0) {
      // Converters write signatures with outputs only (faceboxes, mobilefacenet); a signature
      // without its feeds cannot run, so the graph's Placeholders are its inputs.
      for (NodeDef n : g.getNodeList()) {
        if (!n.getOp().equals("Placeholder")) continue;
        TensorInfo.Builder ti = TensorInfo.newBuilder().setName(n.getName() + ":0");
        if (n.containsAttr("dtype")) ti.setDtype(n.getAttrOrThrow("dtype").getType());
        if (n.containsAttr("shape")) ti.setTensorShape(n.getAttrOrThrow("shape").getShape());
        sb.putInputs(n.getName().replaceAll("[^A-Za-z0-9_]", "_"), ti.build());
      }
    }
    return Map.of("serving_default", sb.build());
  }

  private static byte[] readGroup(Path dir, JsonNode group, String src) {
    List<byte[]> parts = new ArrayList<>();
    long total = 0;
    for (JsonNode p : group.path("paths")) {
      String rel = p.asText();
      Path file = dir.resolve(rel).normalize();
      if (!file.startsWith(dir)) throw new IllegalArgumentException(src + ": weight path '" + rel + "' points outside the model folder");
      if (!Files.isRegularFile(file)) throw new IllegalArgumentException(src + ": weight file '" + rel + "' not found beside model.json");
      try {
        byte[] b = Files.readAllBytes(file);
        parts.add(b);
        total += b.length;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read weight file " + file, e);
      }
    }
    if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(src + ": weight group larger than 2 GB");
    ByteBuffer all = ByteBuffer.allocate((int) total);
    for (byte[] b : parts) all.put(b);
    return all.array();
  }

  /**
   * The weight in the dtype its Const node declares. The converter stores some weights narrower
   * than the graph declares (DT_DOUBLE constants as float32, DT_INT64 as int32) and TF.js reads them
   * back as declared; building the Const with the stored dtype makes TensorFlow refuse the graph
   * ("passed float ... incompatible with expected double").
   */
  private static TensorProto asDeclared(TensorProto value, NodeDef.Builder node, String src) {
    AttrValue declared = node.getAttrOrDefault("dtype", null);
    if (declared == null || declared.getValueCase() != AttrValue.ValueCase.TYPE
        || declared.getType() == value.getDtype() || declared.getType() == DataType.UNRECOGNIZED) {
      return value;
    }
    try {
      return TensorValue.fromProto(value).cast(declared.getType()).toProto();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(src + ": Const node '" + node.getName() + "' declares "
          + declared.getType() + " but its weight is stored as " + value.getDtype() + ": " + e.getMessage());
    }
  }

  private static TensorProto decode(byte[] data, int offset, int count, String dtype, String stored, JsonNode q,
      long[] shape, String name, String src) {
    TensorShapeProto.Builder sp = TensorShapeProto.newBuilder();
    for (long d : shape) sp.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    ByteBuffer in = ByteBuffer.wrap(data, offset, data.length - offset).order(ByteOrder.LITTLE_ENDIAN);
    DataType out = switch (dtype) {
      case "float32" -> DataType.DT_FLOAT;
      case "int32" -> DataType.DT_INT32;
      case "bool" -> DataType.DT_BOOL;
      default -> throw new IllegalArgumentException(src + ": weight '" + name + "' has unsupported dtype '" + dtype + "'");
    };
    TensorProto.Builder tp = TensorProto.newBuilder().setDtype(out).setTensorShape(sp);
    if (stored.equals(dtype) || (q != null && !q.has("scale") && stored.equals(dtype))) {
      int size = out == DataType.DT_BOOL ? 1 : 4;
      return tp.setTensorContent(ByteString.copyFrom(data, offset, count * size)).build();
    }
    ByteBuffer dst = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    if (stored.equals("float16")) {
      for (int i = 0; i < count; i++) dst.putFloat(HalfFloats.halfToFloat(in.getShort()));
    } else if (stored.equals("uint8") || stored.equals("uint16")) {
      if (q == null || !q.has("scale") || !q.has("min")) {
        throw new IllegalArgumentException(src + ": weight '" + name + "' is " + stored + "-quantized without scale and min");
      }
      double scale = q.get("scale").asDouble();
      double min = q.get("min").asDouble();
      for (int i = 0; i < count; i++) {
        int v = stored.equals("uint8") ? Byte.toUnsignedInt(in.get()) : Short.toUnsignedInt(in.getShort());
        double x = v * scale + min;
        if (out == DataType.DT_INT32) dst.putInt((int) Math.round(x));
        else dst.putFloat((float) x);
      }
    } else {
      throw new IllegalArgumentException(src + ": weight '" + name + "' stores " + stored + " for dtype " + dtype + ", which tfkit cannot decode");
    }
    return tp.setTensorContent(ByteString.copyFrom(dst.array())).build();
  }

  /** Whether a Const's value holds data (TF.js leaves weight Consts with only dtype and shape). */
  private static boolean hasData(AttrValue v) {
    if (!v.hasTensor()) return false;
    TensorProto t = v.getTensor();
    if (!t.getTensorContent().isEmpty() || t.getTensorShape().getDimList().stream().anyMatch(d -> d.getSize() == 0)) return true;
    return t.getFloatValCount() + t.getDoubleValCount() + t.getIntValCount() + t.getInt64ValCount()
        + t.getBoolValCount() + t.getStringValCount() + t.getHalfValCount() > 0;
  }

  private static byte[] readHead(Path p, int n) throws IOException {
    try (var in = Files.newInputStream(p)) {
      return in.readNBytes(n);
    }
  }
}
