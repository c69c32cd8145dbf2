using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tagging;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Tagging;

/// <summary>The tagger's model for each option set: layers, shapes and parameter counts.</summary>
[TestClass]
public sealed class TaggerArchitectureTests
{
    private static SequenceTaggerHyperParameters Version1() => new()
    {
        Cell = TaggerCell.Simple, Bidirectional = false, CharFeatures = CharFeatureKind.None, Layers = 1, Dropout = 0, Lowercase = false,
        EmbeddingSize = 8, Units = 16, Seed = 3,
    };

    private static string[] Describe(Model model) =>
        model.Layers.Select(l => $"{l.Name} {l.GetType().Name}{(l is TimeDistributed t ? $"({t.Layer.GetType().Name})" : l is Bidirectional b ? $"({b.ForwardLayer.GetType().Name})" : "")} {l.CountParams()}").ToArray();

    [TestMethod]
    public void Version1_IsEmbeddingSimpleRnnTimeDistributedDense_WithTheOldSequentialsWeights()
    {
        var (model, wordEmbedding) = TaggerArchitecture.Build(Version1(), wordCount: 10, charCount: 0, tagCount: 4);
        using (model)
        {
            CollectionAssert.AreEqual(new[]
            {
                "embedding Embedding 80",                        // 10 × 8
                "simple_rnn SimpleRNN 400",                      // 8·16 + 16·16 + 16
                "time_distributed TimeDistributed(Dense) 68",    // 16·4 + 4
            }, Describe(model));
            Assert.AreSame(model.Layers[0], wordEmbedding);
            Assert.HasCount(1, model.Inputs);
            CollectionAssert.AreEqual(new long[] { -1 }, model.InputShape);
            CollectionAssert.AreEqual(new long[] { -1, 4 }, model.OutputShapes[0]);

            // What the first tagger built: the same layers in a Sequential with the same seed draw the same numbers.
            using var old = new Sequential(seed: 3);
            old.Add(new Embedding(10, 8, maskZero: true, inputShape: [-1]));
            old.Add(new SimpleRNN(16, returnSequences: true));
            old.Add(new TimeDistributed(new Dense(4, activation: "softmax")));
            using var scope = NewDisposeScope();
            var expected = old.GetWeights();
            var actual = model.GetWeights();
            Assert.HasCount(expected.Count, actual);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.IsTrue(expected[i].eq(actual[i]).all().item<bool>(), $"weight {i} differs from the Sequential's");
            }
        }
    }

    /// <summary>The character-CNN BiLSTM tagger, spelled out (the defaults, see <see cref="TaggerOptionsTests"/>).</summary>
    internal static SequenceTaggerHyperParameters CharCnnBiLstm() => new()
    {
        Cell = TaggerCell.Lstm, Bidirectional = true, Layers = 1, EmbeddingSize = 100, Units = 150, CharFeatures = CharFeatureKind.Cnn,
        CharEmbeddingSize = 30, CharFilters = 100, CharKernelSize = 3, Dropout = 0.33, Lowercase = true, Seed = 1,
    };

    [TestMethod]
    public void CharCnnBiLstm_IsWordsAndCharCnn_Dropout_BiLstm_Dropout_Softmax()
    {
        var hp = CharCnnBiLstm();
        var (model, _) = TaggerArchitecture.Build(hp, wordCount: 50, charCount: 20, tagCount: 5);
        using (model)
        {
            int e = hp.EmbeddingSize, c = hp.CharEmbeddingSize, f = hp.CharFilters, k = hp.CharKernelSize, u = hp.Units;
            CollectionAssert.AreEqual(new[]
            {
                $"embedding Embedding {50 * e}",
                $"char_embedding Embedding {20 * c}",
                $"char_cnn TimeDistributed(Conv1D) {k * c * f + f}",
                "char_pooling TimeDistributed(GlobalMaxPooling1D) 0",
                "concatenate Concatenate 0",
                "dropout Dropout 0",
                $"bidirectional Bidirectional(LSTM) {2 * (4 * u * (e + f + u) + 4 * u)}",
                "dropout_1 Dropout 0",
                $"time_distributed TimeDistributed(Dense) {2 * u * 5 + 5}",
            }, Describe(model));
            CollectionAssert.AreEqual(new[] { "words", "chars" }, model.Inputs.Select(i => i.Name).ToArray());
            CollectionAssert.AreEqual(new long[] { -1, -1 }, model.InputShapes[1]);
            CollectionAssert.AreEqual(new long[] { -1, 5 }, model.OutputShapes[0]);
            Assert.AreEqual(0.33, model.Layers.OfType<Dropout>().First().Rate);
        }
    }

    [TestMethod]
    public void CharBiLstm_TwoUnidirectionalGruLayers_NoDropout()
    {
        var hp = new SequenceTaggerHyperParameters
        {
            Cell = TaggerCell.Gru, Bidirectional = false, Layers = 2, Dropout = 0, CharFeatures = CharFeatureKind.BiLstm,
            EmbeddingSize = 6, CharEmbeddingSize = 4, CharUnits = 3, Units = 8, Seed = 2,
        };
        var (model, _) = TaggerArchitecture.Build(hp, wordCount: 50, charCount: 20, tagCount: 5);
        using (model)
        {
            CollectionAssert.AreEqual(new[]
            {
                "embedding Embedding 300",
                "char_embedding Embedding 80",
                $"char_bilstm TimeDistributed(Bidirectional) {2 * (4 * 3 * (4 + 3) + 4 * 3)}",
                "concatenate Concatenate 0",
                $"gru GRU {(6 + 6) * 24 + 8 * 24 + 2 * 24}",   // reset_after: two biases
                $"gru_1 GRU {8 * 24 + 8 * 24 + 2 * 24}",
                $"time_distributed TimeDistributed(Dense) {8 * 5 + 5}",
            }, Describe(model));
        }
    }

    [TestMethod]
    public void Network_RunsEveryConfigurationOnRaggedSentences()
    {
        string[][] tokens = [["The", "cat", "sat"], ["A", "dog", "ran", "home", "quickly"], ["Hi"]];
        string[][] tags = [["D", "N", "V"], ["D", "N", "V", "N", "A"], ["I"]];
        foreach (var (cell, chars) in new[] { (TaggerCell.Lstm, CharFeatureKind.Cnn), (TaggerCell.Gru, CharFeatureKind.BiLstm), (TaggerCell.Simple, CharFeatureKind.None) })
        {
            var hp = new SequenceTaggerHyperParameters
            {
                Cell = cell, CharFeatures = chars, Layers = 2, EmbeddingSize = 6, Units = 5, CharEmbeddingSize = 4, CharFilters = 3, CharUnits = 2,
                Epochs = 2, Seed = 1, MaxCharsPerToken = 4,
            };
            using var network = SequenceTaggerNetwork.Train(tokens, tags, hp, tokens, tags);
            var predicted = network.Predict([["The", "unseen", "words", "here"], [], ["cat"]]);
            CollectionAssert.AreEqual(new[] { 4, 0, 1 }, predicted.Select(p => p.Tags.Length).ToArray(), $"{cell}/{chars}");
            // A sentence alone and within a padded batch get the same probabilities (masks hide the padding); other
            // batch shapes may round differently in the last bit.
            var alone = network.Predict([["cat"]])[0];
            Assert.HasCount(alone.Distribution.Length, predicted[2].Distribution);
            for (int i = 0; i < alone.Distribution.Length; i++)
            {
                Assert.AreEqual(alone.Distribution[i], predicted[2].Distribution[i], 1e-6, $"{cell}/{chars} element {i}");
            }
        }
    }
}
