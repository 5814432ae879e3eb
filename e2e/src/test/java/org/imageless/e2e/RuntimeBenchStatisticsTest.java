package org.imageless.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics make bench reports for the runtime ({@link RuntimeBench}), on rounds whose answer is known. */
class RuntimeBenchStatisticsTest {

    @Test
    void theOverheadIsTheMedianOfEachRoundsDifference() {
        // the medians of the two sides differ by 20; the rounds' own differences are 1, 2, 3 and 50
        List<Long> flox = List.of(11L, 42L, 63L, 150L);
        List<Long> plain = List.of(10L, 40L, 60L, 100L);

        assertThat(RuntimeBench.pairedDifference(flox, plain)).isEqualTo(2.5);
        assertThat(RuntimeBench.pairedDifference(flox.subList(0, 3), plain.subList(0, 3))).isEqualTo(2.0);
    }

    @Test
    void theOverheadOfEachOrderComesFromItsOwnRounds() {
        // flox went first in rounds 0, 2, 4 (differences 1, 2, 3) and second in rounds 1, 3 (differences 10, 20)
        List<Long> flox = List.of(11L, 30L, 42L, 60L, 63L);
        List<Long> plain = List.of(10L, 20L, 40L, 40L, 60L);

        assertThat(RuntimeBench.everyOther(flox, 0)).containsExactly(11L, 42L, 63L);
        assertThat(RuntimeBench.pairedDifference(RuntimeBench.everyOther(flox, 0), RuntimeBench.everyOther(plain, 0))).isEqualTo(2.0);
        assertThat(RuntimeBench.pairedDifference(RuntimeBench.everyOther(flox, 1), RuntimeBench.everyOther(plain, 1))).isEqualTo(15.0);
        assertThat(RuntimeBench.pairedDifference(List.of(), List.of())).as("a single round has no second order").isNaN();
    }

    @Test
    void theIntervalOfRoundsThatAllHaveTheSameRatioIsThatRatio() {
        List<Long> plain = List.of(50L, 52L, 55L, 60L, 61L, 70L, 80L);
        List<Long> flox = plain.stream().map(p -> p * 11 / 10).toList();

        double[] interval = RuntimeBench.ratioInterval(flox, plain);

        assertThat(interval[0]).isCloseTo(1.1, org.assertj.core.data.Offset.offset(0.01));
        assertThat(interval[1]).isCloseTo(1.1, org.assertj.core.data.Offset.offset(0.01));
    }
}
