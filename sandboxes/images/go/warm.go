// Imports what judged Go programs commonly use; the image compiles it once so that the standard
// library is in the seed build cache (/opt/go-cache), which every compile starts from.
package main
import (
	"bufio"
	"container/heap"
	"container/list"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)
var _ = heap.Init
var _ = list.New
var _ = big.NewInt
var _ = bits.Len
var _ = slices.Sort[[]int]
func main() { r := bufio.NewReader(os.Stdin); var s string; fmt.Fscan(r, &s); sort.Strings(nil); fmt.Println(s, math.Pi, strconv.Itoa(1), strings.ToUpper(s)) }
