using MlNetRnn.Evaluation;

namespace MlNetRnn.Tests.Evaluation;

[TestClass]
public sealed class SequenceTaggingMetricsTests
{
    private const double Tolerance = 1e-12;

    private static SequenceTaggingMetrics Compute(params (string[] Gold, string[] Predicted)[] sentences) =>
        SequenceTaggingMetrics.Compute(sentences.Select(s => ((IReadOnlyList<string>)s.Gold, (IReadOnlyList<string>)s.Predicted)));

    // Three POS-like sentences (tags A, D, N, V), 9 tokens:
    //   1: gold D N V    pred D N V    -> all correct
    //   2: gold D N V N  pred D V V N  -> token 2 wrong (N predicted as V)
    //   3: gold N V      pred N A      -> token 2 wrong (V predicted as A)
    // Confusion [gold, pred]: (D,D)=2, (N,N)=3, (N,V)=1, (V,V)=2, (V,A)=1; total 9.
    private static SequenceTaggingMetrics PosExample() => Compute(
        (["D", "N", "V"], ["D", "N", "V"]),
        (["D", "N", "V", "N"], ["D", "V", "V", "N"]),
        (["N", "V"], ["N", "A"]));

    [TestMethod]
    public void TokenAndSentenceAccuracy()
    {
        var m = PosExample();

        Assert.AreEqual(9, m.TokenCount);
        Assert.AreEqual(3, m.SentenceCount);
        // 3 + 3 + 1 = 7 correct tokens of 9.
        Assert.AreEqual(7.0 / 9, m.TokenAccuracy, Tolerance);
        // Only sentence 1 matches exactly: 1 of 3.
        Assert.AreEqual(1.0 / 3, m.SentenceAccuracy, Tolerance);
    }

    [TestMethod]
    public void PerTagPrecisionRecallF1AndSupport()
    {
        var m = PosExample();

        CollectionAssert.AreEqual(new[] { "A", "D", "N", "V" }, m.PerTag.Keys.ToArray());
        // A: never gold, predicted once, 0 correct -> P 0/1 = 0, R 0/0 := 0, F1 0.
        Assert.AreEqual(new TagMetrics(0, 0, 0, Support: 0, PredictedCount: 1), m.PerTag["A"]);
        // D: gold 2, predicted 2, correct 2 -> P = R = F1 = 1.
        Assert.AreEqual(new TagMetrics(1, 1, 1, Support: 2, PredictedCount: 2), m.PerTag["D"]);
        // N: gold 4 (1 + 2 + 1), predicted 3, correct 3 -> P = 3/3 = 1, R = 3/4, F1 = 2*1*0.75/1.75 = 6/7.
        var n = m.PerTag["N"];
        Assert.AreEqual(1.0, n.Precision, Tolerance);
        Assert.AreEqual(0.75, n.Recall, Tolerance);
        Assert.AreEqual(6.0 / 7, n.F1, Tolerance);
        Assert.AreEqual(4, n.Support);
        Assert.AreEqual(3, n.PredictedCount);
        // V: gold 3, predicted 3 (s1, s2 twice), correct 2 -> P = R = F1 = 2/3.
        var v = m.PerTag["V"];
        Assert.AreEqual(2.0 / 3, v.Precision, Tolerance);
        Assert.AreEqual(2.0 / 3, v.Recall, Tolerance);
        Assert.AreEqual(2.0 / 3, v.F1, Tolerance);
        Assert.AreEqual(3, v.Support);
    }

    [TestMethod]
    public void MicroAndMacroF1()
    {
        var m = PosExample();

        // Micro: TP = 7, FP = FN = 2 -> P = R = 7/9 -> F1 = 7/9 = token accuracy.
        Assert.AreEqual(7.0 / 9, m.MicroF1, Tolerance);
        // Macro over A, D, N, V (A counts: it was predicted): (0 + 1 + 6/7 + 2/3) / 4 = (106/42) / 4 = 53/84.
        Assert.AreEqual(53.0 / 84, m.MacroF1, Tolerance);
    }

    [TestMethod]
    public void ConfusionMatrix_CountsGoldByPredicted()
    {
        var matrix = PosExample().ConfusionMatrix;

        CollectionAssert.AreEqual(new[] { "A", "D", "N", "V" }, matrix.Labels.ToArray());
        Assert.AreEqual(2, matrix.Count("D", "D"));
        Assert.AreEqual(3, matrix.Count("N", "N"));
        Assert.AreEqual(1, matrix.Count("N", "V"));
        Assert.AreEqual(2, matrix.Count("V", "V"));
        Assert.AreEqual(1, matrix.Count("V", "A"));
        Assert.AreEqual(0, matrix.Count("A", "V"));
        Assert.AreEqual(0, matrix.Count("unseen", "D"));
        var array = matrix.ToArray();
        Assert.AreEqual(1L, array[3, 0]); // [V, A]
        array[3, 0] = 99;
        Assert.AreEqual(1, matrix.Count("V", "A"), "ToArray must return a copy");
        Assert.AreEqual(9L, matrix.ToArray().Cast<long>().Sum());
    }

    [TestMethod]
    public void ConfusionMatrix_RendersAsATable()
    {
        var text = PosExample().ConfusionMatrix.ToString();

        var expected = string.Join(Environment.NewLine,
            "gold\\pred A D N V",
            "A         0 0 0 0",
            "D         0 2 0 0",
            "N         0 0 3 1",
            "V         1 0 0 2");
        Assert.AreEqual(expected, text);
    }

    [TestMethod]
    public void LengthMismatch_ThrowsNamingSentenceAndLengths()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Compute(
            (["O"], ["O"]),
            (["O", "O", "O"], ["O", "O"])));

        StringAssert.Contains(error.Message, "Sentence 1");
        StringAssert.Contains(error.Message, "gold has 3");
        StringAssert.Contains(error.Message, "predicted has 2");
    }

    [TestMethod]
    public void EmptyInput_GivesZeros()
    {
        var m = Compute();

        Assert.AreEqual(0, m.TokenCount);
        Assert.AreEqual(0, m.SentenceCount);
        Assert.AreEqual(0.0, m.TokenAccuracy);
        Assert.AreEqual(0.0, m.SentenceAccuracy);
        Assert.AreEqual(0.0, m.MacroF1);
        Assert.IsEmpty(m.PerTag);
        Assert.IsEmpty(m.ConfusionMatrix.Labels);
    }

    [TestMethod]
    public void NonBioTags_HaveNoEntityMetrics()
    {
        Assert.IsNull(PosExample().Entities);
        // One tag outside O / B-X / I-X anywhere (here "B-" with no type) switches entity scoring off.
        Assert.IsNull(Compute((["B-PER", "O"], ["B-PER", "O"]), (["O"], ["B-"])).Entities);
    }

    // conlleval edge cases, 3 sentences (spans written [start, end) with type):
    //   1: gold B-PER I-PER O B-LOC     -> PER[0,2) LOC[3,4)
    //      pred B-PER I-PER O I-LOC     -> PER[0,2) LOC[3,4)   (I-LOC after O starts a chunk) -> 2 correct
    //   2: gold B-ORG I-ORG I-ORG O     -> ORG[0,3)
    //      pred B-ORG I-PER I-PER O     -> ORG[0,1) PER[1,3)   (type change ends ORG, starts PER) -> 0 correct
    //   3: gold O B-PER B-PER           -> PER[1,2) PER[2,3)
    //      pred O B-PER I-PER           -> PER[1,3)                                                -> 0 correct
    private static SequenceTaggingMetrics EntityExample() => Compute(
        (["B-PER", "I-PER", "O", "B-LOC"], ["B-PER", "I-PER", "O", "I-LOC"]),
        (["B-ORG", "I-ORG", "I-ORG", "O"], ["B-ORG", "I-PER", "I-PER", "O"]),
        (["O", "B-PER", "B-PER"], ["O", "B-PER", "I-PER"]));

    [TestMethod]
    public void Entities_AreScoredOverExactSpans()
    {
        var e = EntityExample().Entities;

        Assert.IsNotNull(e);
        // Gold spans 2 + 1 + 2 = 5, predicted 2 + 2 + 1 = 5, correct 2 + 0 + 0 = 2.
        Assert.AreEqual(5, e.GoldCount);
        Assert.AreEqual(5, e.PredictedCount);
        Assert.AreEqual(2, e.CorrectCount);
        // P = 2/5, R = 2/5, F1 = 2/5.
        Assert.AreEqual(0.4, e.Precision, Tolerance);
        Assert.AreEqual(0.4, e.Recall, Tolerance);
        Assert.AreEqual(0.4, e.F1, Tolerance);
    }

    [TestMethod]
    public void Entities_PerType()
    {
        var perType = EntityExample().Entities!.PerType;

        CollectionAssert.AreEqual(new[] { "LOC", "ORG", "PER" }, perType.Keys.ToArray());
        // LOC: gold 1, pred 1 (the I-LOC chunk), correct 1 -> 1, 1, 1.
        Assert.AreEqual((1L, 1L, 1L), (perType["LOC"].GoldCount, perType["LOC"].PredictedCount, perType["LOC"].CorrectCount));
        Assert.AreEqual(1.0, perType["LOC"].F1, Tolerance);
        // ORG: gold [0,3), pred [0,1) -> 1, 1, 0 -> P = R = F1 = 0.
        Assert.AreEqual((1L, 1L, 0L), (perType["ORG"].GoldCount, perType["ORG"].PredictedCount, perType["ORG"].CorrectCount));
        Assert.AreEqual(0.0, perType["ORG"].F1, Tolerance);
        // PER: gold 1 + 2 = 3, pred 1 + 1 + 1 = 3, correct 1 (sentence 1) -> P = R = F1 = 1/3.
        var per = perType["PER"];
        Assert.AreEqual((3L, 3L, 1L), (per.GoldCount, per.PredictedCount, per.CorrectCount));
        Assert.AreEqual(1.0 / 3, per.Precision, Tolerance);
        Assert.AreEqual(1.0 / 3, per.Recall, Tolerance);
        Assert.AreEqual(1.0 / 3, per.F1, Tolerance);
    }

    [TestMethod]
    public void Entities_TokenLevelScoresStillUseTheFullTags()
    {
        var m = EntityExample();

        // Correct tokens: s1 3 of 4 (I-LOC != B-LOC), s2 2 of 4, s3 2 of 3 -> 7 of 11; no sentence exact.
        Assert.AreEqual(7.0 / 11, m.TokenAccuracy, Tolerance);
        Assert.AreEqual(0.0, m.SentenceAccuracy);
    }

    [TestMethod]
    public void Entities_ChunksNeverCrossSentencesAndIAtSentenceStartOpensOne()
    {
        // s1 ends with B-PER and s2 starts with I-PER: the sentence end closes the chunk, and the I-PER opens a new one.
        // Gold: s1 PER[1,2), s2 PER[0,1); predicted: s1 PER[1,2), s2 PER[0,1) (from B-PER). Gold 2, predicted 2, correct 2.
        var e = Compute(
            (["O", "B-PER"], ["O", "B-PER"]),
            (["I-PER", "O"], ["B-PER", "O"])).Entities!;

        Assert.AreEqual((2L, 2L, 2L), (e.GoldCount, e.PredictedCount, e.CorrectCount));
        Assert.AreEqual(1.0, e.F1, Tolerance);
    }

    [TestMethod]
    public void Entities_BAfterBOfSameTypeSplitsTheChunk()
    {
        // Gold B-LOC I-LOC = LOC[0,2); predicted B-LOC B-LOC = LOC[0,1) LOC[1,2).
        // Gold 1, predicted 2, correct 0 -> P = 0/2, R = 0/1, F1 = 0.
        var e = Compute((["B-LOC", "I-LOC"], ["B-LOC", "B-LOC"])).Entities!;

        Assert.AreEqual((1L, 2L, 0L), (e.GoldCount, e.PredictedCount, e.CorrectCount));
        Assert.AreEqual(0.0, e.F1);
    }
}
