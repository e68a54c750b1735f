package dev.tfkit.savedmodel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TString;

/**
 * Writes a TensorFlow V2 checkpoint ({@code prefix.index} + {@code prefix.data-00000-of-00001}) by
 * running TensorFlow's own SaveV2 op in a small graph of its own, so the format is TensorFlow's.
 */
final class CheckpointWriter {
  private CheckpointWriter() {}

  /** One value to save: a TensorProto (becomes a Const) or a live Tensor (fed). */
  record Value(DataType dtype, TensorProto proto, Tensor tensor) {
    static Value of(TensorProto p) {
      return new Value(p.getDtype(), p, null);
    }

    static Value of(Tensor t) {
      return new Value(t.dataType(), null, t);
    }
  }

  static void write(Path prefix, Map<String, Value> values) {
    List<String> names = new ArrayList<>(values.keySet());
    Collections.sort(names);
    GraphDef.Builder g = GraphDef.newBuilder();
    g.addNode(
        Nodes.node("Placeholder", "prefix")
            .putAttr("dtype", Nodes.type(DataType.DT_STRING))
            .putAttr("shape", Nodes.shape(Nodes.scalarShape())));
    g.addNode(Nodes.constant("tensor_names", Nodes.stringVector(names)));
    g.addNode(Nodes.constant("shape_and_slices", Nodes.stringVector(Collections.nCopies(names.size(), ""))));
    NodeDef.Builder save = Nodes.node("SaveV2", "save", "prefix", "tensor_names", "shape_and_slices");
    List<DataType> dtypes = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Value v = values.get(names.get(i));
      String node = "v" + i;
      if (v.proto() != null) {
        g.addNode(Nodes.constant(node, v.proto()));
      } else {
        g.addNode(
            Nodes.node("Placeholder", node).putAttr("dtype", Nodes.type(v.tensor().dataType())));
      }
      save.addInput(node);
      dtypes.add(v.dtype());
    }
    save.putAttr("dtypes", Nodes.types(dtypes));
    g.addNode(save);
    try (Graph graph = new Graph();
        Tensor prefixTensor = TString.scalarOf(prefix.toString())) {
      graph.importGraphDef(g.build());
      try (Session s = new Session(graph)) {
        Session.Runner r = s.runner().feed("prefix", prefixTensor).addTarget("save");
        for (int i = 0; i < names.size(); i++) {
          Value v = values.get(names.get(i));
          if (v.tensor() != null) r.feed("v" + i, v.tensor());
        }
        r.run().close();
      }
    }
  }
}
