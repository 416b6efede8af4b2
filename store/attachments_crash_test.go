package store

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestAttachmentsSurviveAKillMidWrite kills a process that stores questions
// with attachments (new photos, repeated ones, deletions) at a different
// moment each round, and checks after each that every message's attachments
// are there and no blob is left that no message uses.
func TestAttachmentsSurviveAKillMidWrite(t *testing.T) {
	if dir := os.Getenv("DESKCHAT_BLOB_CHILD"); dir != "" {
		blobChild(dir)
		return
	}
	dir := t.TempDir()
	for round, after := range []int{1, 3, 7, 12, 20} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAttachmentsSurviveAKillMidWrite$")
		cmd.Env = append(os.Environ(), "DESKCHAT_BLOB_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		for n := 0; n < after && lines.Scan(); n++ {
		}
		// The child is in the middle of its next writes: kill it there.
		cmd.Process.Kill()
		cmd.Wait()
		s := open(t, dir)
		checkBlobRefs(t, s, round)
		s.Close()
	}
}

// blobChild writes until it is killed, printing a line after each write.
func blobChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	c, err := s.CreateConversation(Conversation{Title: "crash"})
	if err != nil {
		os.Exit(2)
	}
	shared := photo(300_000, 42)
	for i := 0; ; i++ {
		own := photo(200_000+i, uint64(i)+100)
		m, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "q" + strconv.Itoa(i),
			Attachments: []Attachment{withFile("shared.jpg", shared, ""), withFile("own.jpg", own, "text "+strconv.Itoa(i))}})
		if err != nil {
			os.Exit(2)
		}
		fmt.Println("appended", m.Seq)
		if i%3 == 2 {
			if err := s.DeleteMessage(c.ID, m.Seq-1); err != nil {
				os.Exit(2)
			}
			fmt.Println("deleted", m.Seq-1)
		}
	}
}

// checkBlobRefs checks that the blobs and the messages agree.
func checkBlobRefs(t *testing.T, s *Store, round int) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		used := map[string]bool{}
		msgs := tx.Bucket(bucketMessages)
		err := msgs.ForEachBucket(func(conv []byte) error {
			return msgs.Bucket(conv).ForEach(func(_, v []byte) error {
				var m Message
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				for _, a := range m.Attachments {
					used[a.SHA256] = true
					data := tx.Bucket(bucketBlobs).Get([]byte(a.SHA256))
					if data == nil || SHA256(data) != a.SHA256 {
						t.Errorf("round %d: message %s: %s has no intact blob", round, m.ID(), a.Name)
					}
					if tx.Bucket(bucketBlobRefs).Get(blobRefKey(a.SHA256, m.ConversationID, m.Seq)) == nil {
						t.Errorf("round %d: message %s: no reference to %s", round, m.ID(), a.Name)
					}
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			if !used[string(k)] {
				t.Errorf("round %d: blob %.12s is used by no message", round, k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
