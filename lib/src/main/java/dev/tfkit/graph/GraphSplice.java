package dev.tfkit.graph;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GradientDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * The GraphDef work of {@link ModelGraph#splice}: the inner graph's nodes are copied under a
 * prefix and the consumers of mapped tensors read the outer tensors instead. Names and dtypes are
 * checked by the caller; this class only rewrites.
 *
 * <p>Consumers are rewired rather than the mapped Placeholder being turned into an Identity of the
 * outer tensor: TensorFlow's oneDNN layout pass has crashed the process on such an Identity in
 * front of convolutions.
 */
final class GraphSplice {
  private GraphSplice() {}

  /** Node attribute listing colocation groups, {@code loc:@node} each. */
  private static final String COLOCATION_ATTR = "_class";
  private static final String COLOCATION_PREFIX = "loc:@";

  /** Whether a mapped node of this op is dropped: nothing else could feed it. */
  static boolean isInput(NodeDef n) {
    return n.getOp().equals("Placeholder") || n.getOp().equals("PlaceholderWithDefault");
  }

  /**
   * {@code outer} with {@code inner}'s nodes added as {@code prefix/<name>}; every input that named
   * a key of {@code inputMap} names its value instead, and mapped Placeholders are left out.
   *
   * @throws IllegalArgumentException naming the function when both graphs define one differently
   */
  static GraphDef splice(GraphDef outer, GraphDef inner, String prefix, Map<TensorName, TensorName> inputMap) {
    Set<String> dropped = new HashSet<>();
    for (NodeDef n : inner.getNodeList()) {
      if (isInput(n) && inputMap.containsKey(new TensorName(n.getName(), 0))) dropped.add(n.getName());
    }
    // A control dependency on a dropped Placeholder becomes one on the node that now feeds its readers.
    Map<String, String> controlFor = new HashMap<>();
    inputMap.forEach((k, v) -> {
      if (dropped.contains(k.node())) controlFor.put(k.node(), v.node());
    });

    GraphDef.Builder out = outer.toBuilder();
    for (NodeDef n : inner.getNodeList()) {
      if (dropped.contains(n.getName())) continue;
      NodeDef.Builder b = n.toBuilder().setName(prefix + "/" + n.getName()).clearInput();
      Set<String> controls = new LinkedHashSet<>();
      List<String> data = new ArrayList<>();
      for (String in : n.getInputList()) {
        TensorName t = TensorName.parse(in);
        if (t.isControl()) {
          String src = controlFor.get(t.node());
          controls.add("^" + (src != null ? src : prefix + "/" + t.node()));
        } else {
          TensorName mapped = inputMap.get(t);
          data.add(mapped != null ? mapped.asInput() : prefix + "/" + t.asInput());
        }
      }
      b.addAllInput(data).addAllInput(controls);
      AttrValue colocation = n.getAttrOrDefault(COLOCATION_ATTR, null);
      if (colocation != null && colocation.hasList()) {
        AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
        for (String s : colocation.getList().getSList().stream().map(ByteString::toStringUtf8).toList()) {
          if (!s.startsWith(COLOCATION_PREFIX)) {
            l.addS(ByteString.copyFromUtf8(s));
          } else if (!dropped.contains(s.substring(COLOCATION_PREFIX.length()))) {
            l.addS(ByteString.copyFromUtf8(COLOCATION_PREFIX + prefix + "/" + s.substring(COLOCATION_PREFIX.length())));
          }
        }
        if (l.getSCount() == 0) b.removeAttr(COLOCATION_ATTR);
        else b.putAttr(COLOCATION_ATTR, AttrValue.newBuilder().setList(l).build());
      }
      // While-loop frames are matched by name at run time: two loops named alike would be one frame.
      if ((n.getOp().equals("Enter") || n.getOp().equals("RefEnter")) && n.containsAttr("frame_name")) {
        String frame = n.getAttrOrThrow("frame_name").getS().toStringUtf8();
        b.putAttr("frame_name", AttrValue.newBuilder().setS(ByteString.copyFromUtf8(prefix + "/" + frame)).build());
      }
      out.addNode(b);
    }
    out.setLibrary(mergeLibraries(outer.getLibrary(), inner.getLibrary()));
    return out.build();
  }

  private static FunctionDefLibrary mergeLibraries(FunctionDefLibrary outer, FunctionDefLibrary inner) {
    if (inner.getFunctionCount() == 0 && inner.getGradientCount() == 0) return outer;
    FunctionDefLibrary.Builder b = outer.toBuilder();
    Map<String, FunctionDef> have = new HashMap<>();
    for (FunctionDef f : outer.getFunctionList()) have.put(f.getSignature().getName(), f);
    for (FunctionDef f : inner.getFunctionList()) {
      String name = f.getSignature().getName();
      FunctionDef mine = have.get(name);
      if (mine == null) {
        b.addFunction(f);
        have.put(name, f);
      } else if (!mine.equals(f)) {
        throw new IllegalArgumentException(
            "both graphs define function '" + name + "', differently: splicing cannot rename functions");
      }
    }
    Map<String, String> gradients = new HashMap<>();
    for (GradientDef g : outer.getGradientList()) gradients.put(g.getFunctionName(), g.getGradientFunc());
    for (GradientDef g : inner.getGradientList()) {
      String mine = gradients.putIfAbsent(g.getFunctionName(), g.getGradientFunc());
      if (mine == null) {
        b.addGradient(g);
      } else if (!mine.equals(g.getGradientFunc())) {
        throw new IllegalArgumentException(
            "both graphs give function '" + g.getFunctionName() + "' a gradient, differently ('" + mine + "' and '"
                + g.getGradientFunc() + "')");
      }
    }
    return b.build();
  }
}
