using Microsoft.ML;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

/// <summary>
/// A model file written by format version 1 (payload without checksum), committed as
/// <c>Fixtures/tagger-v1.zip</c>: it must keep loading and answering exactly as it did when it was written.
/// Made with <c>mlnetrnn train --train (first 5 sentences of datasets/sample.conllu) --epochs 30 --units 8
/// --embedding 8 --seed 1 --learning-rate 0.05 --batch-size 2</c>.
/// </summary>
[TestClass]
public sealed class ModelFileV1FixtureTests
{
    public static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "tagger-v1.zip");

    /// <summary>(sentence, tags, probabilities (tokens × tags)) as recorded from the version-1 code.</summary>
    private static readonly (string Sentence, string[] Tags, float[] Probabilities)[] Recorded =
    [
        ("John reads a book .", ["PROPN", "VERB", "DET", "NOUN", "PUNCT"],
        [
            4.4383432E-05f, 0.0060072667f, 6.937478E-05f, 0.9905055f, 2.3720066E-05f, 0.0033497503f,
            0.0003159483f, 2.81654E-05f, 1.1565376E-05f, 0.00093390886f, 0.00022780351f, 0.99848264f,
            0.00071381056f, 0.99813604f, 0.0007004012f, 0.00040607675f, 2.3733279E-05f, 1.994137E-05f,
            0.0005588705f, 0.0012322108f, 0.997198f, 0.00084994495f, 5.002295E-07f, 0.00016046593f,
            0.0010939727f, 0.00012238647f, 0.00017206077f, 2.3515935E-05f, 0.998021f, 0.0005670038f,
        ]),
        ("The cat sees Mary", ["DET", "NOUN", "DET", "VERB"],
        [
            0.003671082f, 0.9916266f, 0.0015084599f, 0.0029589413f, 0.00022570833f, 9.209324E-06f,
            0.06413153f, 0.030701337f, 0.81976783f, 0.06815028f, 0.00017739588f, 0.017071605f,
            0.02084041f, 0.7301032f, 0.010384397f, 0.11689449f, 0.002121156f, 0.11965643f,
            0.2661609f, 0.29527977f, 0.007666433f, 0.019693054f, 7.160983E-05f, 0.41112816f,
        ]),
        // "Zorblax" and "frobnicates" are out of vocabulary.
        ("Zorblax frobnicates .", ["DET", "VERB", "PUNCT"],
        [
            0.0012891571f, 0.8311919f, 0.008841104f, 0.1555583f, 5.9298567E-05f, 0.0030602752f,
            0.3858412f, 0.04435276f, 0.0003887564f, 0.00039802652f, 0.00013183305f, 0.5688875f,
            0.019333383f, 0.00730807f, 0.009905737f, 6.75034E-05f, 0.96145123f, 0.0019340805f,
        ]),
    ];

    [TestMethod]
    public void Version1File_LoadsAndPredictsAsRecorded()
    {
        var ml = new MLContext();
        var model = SequenceTaggerModelFile.Load(ml, FixturePath, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Tokens"));
        CollectionAssert.AreEqual(new[] { "ADJ", "DET", "NOUN", "PROPN", "PUNCT", "VERB" },
            SequenceTaggerTransformer.GetTagNames(model).ToArray());
        using var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(model);
        foreach (var (sentence, tags, probabilities) in Recorded)
        {
            var result = engine.Predict(new Sentence { Tokens = sentence.Split(' ') });
            CollectionAssert.AreEqual(tags, result.PredictedTags, sentence);
            Assert.HasCount(probabilities.Length, result.Probabilities!, sentence);
            for (int i = 0; i < probabilities.Length; i++)
                Assert.AreEqual(probabilities[i], result.Probabilities![i], 1e-6f, $"{sentence}: probability {i}");
        }
    }
}
