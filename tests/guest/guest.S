/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The inner guest of the real-VMM test: bare metal, MMU off, loaded by
 * QEMU's -kernel as an ELF.  It writes a pattern to the first word of
 * NUMA node 1, which QEMU backs with the test provider's cacheable PFNMAP
 * memory, reads it back, says what it read on the PL011 UART, and waits.
 */
#define UART		0x09000000	/* virt's PL011, data register */
#define GPU_MEM		0x44000000	/* node 1: after node 0's 64 MiB */
#define PATTERN		0x5332415454522121

	.text
	.globl	_start
_start:
	ldr	x0, =UART
	mov	w2, #0x301		/* UARTCR: UARTEN, TXE, RXE */
	str	w2, [x0, #0x30]
	adr	x1, msg_start
	bl	puts
	ldr	x5, =GPU_MEM
	ldr	x6, =PATTERN
	str	x6, [x5]
	ldr	x7, [x5]
	adr	x1, msg_bad
	cmp	x6, x7
	b.ne	1f
	adr	x1, msg_ok
1:	bl	puts
2:	wfi
	b	2b

/* Write the string at x1 to the UART at x0; clobbers w2. */
puts:
	ldrb	w2, [x1], #1
	cbz	w2, 3f
	strb	w2, [x0]
	b	puts
3:	ret

msg_start:
	.asciz	"s2attr-guest: writing GPU memory at 0x44000000\n"
msg_ok:
	.asciz	"s2attr-guest: read back the pattern: OK\n"
msg_bad:
	.asciz	"s2attr-guest: read back something else: BAD\n"
	.balign	8
	.ltorg
